/* Probe (not an ISA test): timers that cannot wake a paravirtual guest. vCPU 0 leaves its timer
   armed in the past but disabled (stimecmp = 0, sie clear) and waits in WFI for nothing. With a
   second vCPU it first starts it (SBI HSM); that one arms its timer in the past, enabled, and
   stops itself. Neither timer can wake anyone, so the hypervisor must see a machine with no
   wake-up at all, not one due at once (which would wake the host again and again). */
#include "include/pv.h"
#define CSR_STIMECMP 0x14d
#define SBI_EXT_HSM 0x48534d
  .section .text.init
  .globl _start
_start:
  csrw sie, zero
  csrw CSR_STIMECMP, zero
  li a7, SBI_EXT_HSM               /* hart_start(1, second, 0): refused on a one-vCPU domain */
  li a6, 0
  li a0, 1
  la a1, second
  li a2, 0
  ecall
1:
  wfi
  j 1b

second:
  csrw CSR_STIMECMP, zero
  li t0, 1 << 5                    /* sie.STIE (sstatus.SIE is off: nothing is taken) */
  csrw sie, t0
  li a7, SBI_EXT_HSM               /* hart_stop */
  li a6, 1
  ecall
2:
  j 2b

/* Probe (not an ISA test): a paravirtual guest with 2 vCPUs. vCPU 0 starts vCPU 1 through SBI
   HSM; vCPU 1 checks its a0/a1, sets a flag and stops itself; vCPU 0 waits for the flag, checks
   the HSM status of both and that starting a running vCPU is refused, prints "hsm ok" and powers
   off (or crashes on any mismatch). */
#include "include/pv.h"
#define EXT_HSM 0x48534d
  .section .text.init
  .globl _start
_start:
  li a7, EXT_HSM
  li a6, 0                        /* hart_start(1, secondary, 0x1234) */
  li a0, 1
  la a1, secondary
  li a2, 0x1234
  ecall
  bnez a0, crash
  la t0, flag
  li t2, 10000000
wait:
  lw t1, 0(t0)
  bnez t1, started
  addi t2, t2, -1
  bnez t2, wait
  j crash
started:
  li t1, 0x5a
  lw t2, 0(t0)
  bne t2, t1, crash               /* vCPU 1 saw the wrong a0/a1 */
stopped:                          /* vCPU 1 stops right after setting the flag */
  li a7, EXT_HSM
  li a6, 2
  li a0, 1
  ecall
  bnez a0, crash
  li t1, 1                        /* STOPPED */
  bne a1, t1, stopped
  li a7, EXT_HSM
  li a6, 0                        /* starting vCPU 0, which runs, is refused */
  li a0, 0
  la a1, secondary
  ecall
  li t1, -6                       /* SBI_ERR_ALREADY_AVAILABLE */
  bne a0, t1, crash
  PV_PRINT msg, msg_end
  PV_SHUTDOWN SHUTDOWN_poweroff
crash:
  PV_SHUTDOWN SHUTDOWN_crash

secondary:
  li t1, 1
  bne a0, t1, bad
  li t1, 0x1234
  bne a1, t1, bad
  li t1, 0x5a
  j report
bad:
  li t1, 0xbad
report:
  la t0, flag
  sw t1, 0(t0)
  li a7, EXT_HSM
  li a6, 1                        /* hart_stop */
  ecall
2: j 2b

  .section .rodata
msg: .ascii "hsm ok\n"
msg_end:
  .section .data
  .align 2
flag: .word 0

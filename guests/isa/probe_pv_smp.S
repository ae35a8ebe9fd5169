/* Probe (not an ISA test): two vCPUs counting at once. vCPU 0 starts vCPU 1 through SBI HSM;
   both then count (include/smp-count.h: AMO and LR/SC increments of shared counters, and a
   device read halfway, which a lane hands back to the machine's own instance). vCPU 1 then
   raises a flag (after a fence) and stops; vCPU 0 waits for the flag and checks that each
   counter holds 2 * SMP_ROUNDS: no update was lost, whether the vCPUs took turns or ran at once
   on two pCPUs (kernel/cpu/lanes.ts). It prints "smp ok" and powers off, or crashes. */
#include "include/pv.h"
#include "include/smp-count.h"
#define EXT_HSM 0x48534d

  .section .text.init
  .globl _start
_start:
  li a7, EXT_HSM
  li a6, 0                          /* hart_start(1, second, 0) */
  li a0, 1
  la a1, second
  li a2, 0
  ecall
  bnez a0, crash
  call smp_count
  la t0, flag
wait:
  ld t1, 0(t0)
  beqz t1, wait
  SMP_CHECK_COUNTERS
  PV_PRINT ok, ok_end
  PV_SHUTDOWN SHUTDOWN_poweroff
crash:
  PV_SHUTDOWN SHUTDOWN_crash

second:
  call smp_count
  fence rw, rw
  la t0, flag
  li t1, 1
  sd t1, 0(t0)
  li a7, EXT_HSM
  li a6, 1                          /* hart_stop */
  ecall
  j crash

  SMP_COUNT_FUNCTION

  .section .rodata
ok: .ascii "smp ok\n"
ok_end:

  SMP_DATA

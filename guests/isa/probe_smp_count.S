/* Probe (not an ISA test): the bare-metal twin of probe_pv_smp.S, the QEMU peer of bench/lanes.ts
   (`qemu-system-riscv64 -M virt -smp 2 -bios none -kernel ...`). Harts 0 and 1 start together in
   M-mode and both count (include/smp-count.h); hart 1 then raises a flag and sleeps, hart 0
   waits for it, checks the counters, prints "smp ok" on the 16550 UART and powers off through
   the SiFive test finisher (QEMU exits); on a mismatch it writes the finisher's fail code. */
#include "include/smp-count.h"
#include "../include/domus-abi.h"

  .section .text.init
  .globl _start
_start:
  csrr t0, mhartid
  li t1, 1
  bgtu t0, t1, sleep                /* a third hart and beyond: not counting */
  call smp_count
  csrr t0, mhartid
  bnez t0, second_done
  la t0, flag
wait:
  ld t1, 0(t0)
  beqz t1, wait
  SMP_CHECK_COUNTERS
  li s0, UART_BASE
  la s1, ok
putc:
  lbu t0, 0(s1)
  beqz t0, off
1:
  lbu t1, UART_LSR(s0)
  andi t1, t1, LSR_THRE
  beqz t1, 1b
  sb t0, 0(s0)
  addi s1, s1, 1
  j putc
off:
  li t0, FINISHER_BASE
  li t1, FINISHER_PASS
  sw t1, 0(t0)
  j sleep
crash:
  li t0, FINISHER_BASE
  li t1, FINISHER_FAIL
  sw t1, 0(t0)
  j sleep

second_done:
  fence rw, rw
  la t0, flag
  li t1, 1
  sd t1, 0(t0)
sleep:
  wfi
  j sleep

  SMP_COUNT_FUNCTION

  .section .rodata
ok: .asciz "smp ok\n"

  SMP_DATA

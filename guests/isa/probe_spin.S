/* Probe (not an ISA test): a CPU-bound guest that never stops (arithmetic in a loop), for the
   scheduler tests that measure how CPU time is shared between domains. */
  .section .text.init
  .globl _start
_start:
  li t0, 0
  li t1, 0x9e3779b97f4a7c15
1:
  add t0, t0, t1
  xor t0, t0, t1
  mul t2, t0, t1
  j 1b

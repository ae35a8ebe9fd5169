/* Probe (not an ISA test): powers off through the SiFive test finisher with a failure code,
   0x3333 | (42 << 16); `domus run` must exit with status 42. */
  .section .text.init
  .globl _start
_start:
  li t0, 0x100000
  li t1, (42 << 16) | 0x3333
  sw t1, 0(t0)
1: j 1b

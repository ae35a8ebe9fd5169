/* Probe (not an ISA test): a guest with 64 MiB of RAM reads and writes guest-physical memory
   beyond it (0x80000000 + 128 MiB). Both must fault (load/store access fault, mcause 5 and 7);
   then it powers off with status 0 through the finisher, or with the unexpected mcause. */
  .section .text.init
  .globl _start
_start:
  la t0, on_trap
  csrw mtvec, t0
  li s0, 0x88000000
  li s1, 0                  /* faults seen */
  .option push
  .option norvc
  ld t1, 0(s0)              /* must fault: load access */
  sd t1, 0(s0)              /* must fault: store access */
  .option pop
  li t0, 2
  bne s1, t0, fail
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b

  .align 2
on_trap:
  csrr t2, mcause
  li t3, 5
  beq t2, t3, expected
  li t3, 7
  beq t2, t3, expected
  mv s2, t2
  j fail_code
expected:
  addi s1, s1, 1
  csrr t2, mepc
  addi t2, t2, 4            /* skip the faulting (uncompressed) instruction */
  csrw mepc, t2
  mret
fail:
  li s2, 0xff
fail_code:
  li t0, 0x100000
  slli t1, s2, 16
  li t3, 0x3333
  or t1, t1, t3
  sw t1, 0(t0)
2: j 2b

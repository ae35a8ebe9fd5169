/* Probe (not an ISA test): prints a line through the HTIF console, as Spike test programs do,
   then exits with status 0 through tohost. test/console.test.ts reads the line on stdout. */
#include "include/htif.h"
  .section .text.init
  .globl _start
_start:
  la s0, message
  la s1, tohost
  la s2, fromhost
  li s3, 0x0101000000000000      /* device 1 (console), command 1 (write) */
next:
  lbu t0, 0(s0)
  beqz t0, done
  or t0, t0, s3
  sd t0, 0(s1)
wait:                            /* the host acknowledges each character in fromhost */
  ld t1, 0(s2)
  beqz t1, wait
  sd zero, 0(s2)
  addi s0, s0, 1
  j next
done:
  li t0, 1
  sd t0, 0(s1)
1: j 1b

  .section .rodata
message: .asciz "hello through tohost\n"

  HTIF_WORDS

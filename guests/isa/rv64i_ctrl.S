/*
 * RV64I control transfer: every branch taken and not taken (signed vs
 * unsigned orderings, equal operands, backward branches), JAL and JALR
 * link values, JALR with a negative offset, JALR clearing bit 0 of the
 * target, and JALR whose rd equals rs1.  Link values are checked with
 * compression off so that pc + 4 is exact.
 */
#include "test.h"

/* The branch must be taken. */
.macro TEST_BR_TAKEN n, op, v1, v2
  TEST \n
  li a1, \v1
  li a2, \v2
  \op a1, a2, .Ltaken\@
  j fail
.Ltaken\@:
.endm

/* The branch must fall through. */
.macro TEST_BR_NOT n, op, v1, v2
  TEST \n
  li a1, \v1
  li a2, \v2
  \op a1, a2, .Lbad\@
  j .Lok\@
.Lbad\@:
  j fail
.Lok\@:
.endm

TEST_BEGIN
  .option push
  .option norvc

  TEST_BR_TAKEN  1, beq, 5, 5
  TEST_BR_NOT    2, beq, 5, 6
  TEST_BR_TAKEN  3, beq, -1, 0xffffffffffffffff
  TEST_BR_NOT    4, beq, 0x100000000, 0          /* upper bits compared too */
  TEST_BR_TAKEN  5, bne, 0x100000000, 0
  TEST_BR_NOT    6, bne, 7, 7
  TEST_BR_TAKEN  7, blt, -1, 1
  TEST_BR_NOT    8, blt, 1, -1
  TEST_BR_NOT    9, blt, 3, 3
  TEST_BR_TAKEN 10, blt, 0x8000000000000000, 0x7fffffffffffffff
  TEST_BR_TAKEN 11, bge, 1, -1
  TEST_BR_TAKEN 12, bge, 3, 3                     /* equal: taken */
  TEST_BR_NOT   13, bge, -1, 1
  TEST_BR_TAKEN 14, bltu, 1, -1                   /* -1 is the largest unsigned */
  TEST_BR_NOT   15, bltu, -1, 1
  TEST_BR_NOT   16, bltu, 3, 3
  TEST_BR_TAKEN 17, bgeu, -1, 1
  TEST_BR_TAKEN 18, bgeu, 0, 0
  TEST_BR_NOT   19, bgeu, 0x7fffffffffffffff, 0x8000000000000000
  TEST_BR_TAKEN 20, bge, 0, 0x8000000000000000
  TEST_BR_TAKEN 21, bltu, 0, 0x8000000000000000

  /* backward branch: count a loop down */
  TEST 22
  li a0, 0
  li a1, 10
1:
  addi a0, a0, 3
  addi a1, a1, -1
  bnez a1, 1b
  EXPECT a0, 30

  /* branch far away (> 2 KiB) in both directions */
  TEST 23
  li a1, 1
  bnez a1, .Lfar_fwd
  j fail
.Lfar_back:
  j .Lfar_done
  .skip 3000
.Lfar_fwd:
  beqz zero, .Lfar_back
  j fail
.Lfar_done:

  /* ---- JAL ---- */
  TEST 24
  jal ra, .Ljal1
.Ljal1_ret:
  j fail
.Ljal1:
  la a0, .Ljal1_ret
  EXPECT_EQ ra, a0                /* link = pc + 4 */
  TEST 25
  li a0, 0
  jal x0, .Ljal2                  /* plain jump: no link */
  li a0, 1
.Ljal2:
  EXPECT a0, 0
  TEST 26
  jal t0, .Ljal3                  /* any register can link */
.Ljal3_ret:
  j fail
  .skip 2048
.Ljal3:
  la a0, .Ljal3_ret
  EXPECT_EQ t0, a0
  TEST 27                         /* backward JAL */
  j .Ljal4_setup
.Ljal4:
  la a0, .Ljal4_ret
  EXPECT_EQ ra, a0
  j .Ljal4_done
.Ljal4_setup:
  jal ra, .Ljal4
.Ljal4_ret:
  j fail
.Ljal4_done:

  /* ---- JALR ---- */
  TEST 28
  la a1, .Ljalr1
  jalr ra, 0(a1)
.Ljalr1_ret:
  j fail
.Ljalr1:
  la a0, .Ljalr1_ret
  EXPECT_EQ ra, a0
  TEST 29                         /* target = rs1 + imm, negative imm */
  la a1, .Ljalr2 + 16
  jalr ra, -16(a1)
  j fail
.Ljalr2:
  TEST 30                         /* bit 0 of the target is cleared */
  la a1, .Ljalr3
  addi a1, a1, 1
  jalr ra, 0(a1)
  j fail
.Ljalr3:
  TEST 31                         /* odd sum from an odd immediate */
  la a1, .Ljalr4
  addi a1, a1, -1
  jalr ra, 2(a1)                  /* (x - 1 + 2) & ~1 = x */
  j fail
.Ljalr4:
  TEST 32                         /* rd == rs1: target uses the old value */
  la a1, .Ljalr5
  jalr a1, 0(a1)
.Ljalr5_ret:
  j fail
.Ljalr5:
  la a0, .Ljalr5_ret
  EXPECT_EQ a1, a0
  TEST 33                         /* rd = x0: no link written */
  la a1, .Ljalr6
  li a0, 0
  jalr x0, 0(a1)
  li a0, 1
.Ljalr6:
  EXPECT a0, 0
  TEST 34                         /* call / return through a function */
  li a0, 5
  call .Ldouble
  EXPECT a0, 10
  j .Lafter_fn
.Ldouble:
  add a0, a0, a0
  ret
.Lafter_fn:

  .option pop
TEST_END

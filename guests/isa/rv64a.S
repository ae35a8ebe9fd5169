/*
 * A extension: LR/SC (success, failure without a reservation, after an
 * intervening store, after another SC, and on an address other than the
 * reserved one), every AMO in .W and .D form (old value returned, .W
 * results sign-extended, neighbouring word untouched), aq/rl variants,
 * and a misaligned LR raising load address-misaligned (cause 4) with the
 * address in mtval.  Misaligned AMO/SC are in rv64a_misaligned.S.
 */
#include "test.h"

/* mem[0] = init; op a0, a2, (a1); check old value in a0 and the new memory. */
.macro TEST_AMO_D n, op, init, src, old, new
  TEST \n
  la a1, amo_buf
  li a0, \init
  sd a0, 0(a1)
  li a2, \src
  \op a0, a2, (a1)
  EXPECT a0, \old
  ld a3, 0(a1)
  EXPECT a3, \new
.endm

/* Word form on the low word of a dword whose high word is a canary. */
.macro TEST_AMO_W n, op, init, src, old, new
  TEST \n
  la a1, amo_buf
  li a0, 0x5a5a5a5a00000000 | ((\init) & 0xffffffff)
  sd a0, 0(a1)
  li a2, \src
  \op a0, a2, (a1)
  EXPECT a0, \old
  ld a3, 0(a1)
  EXPECT a3, 0x5a5a5a5a00000000 | ((\new) & 0xffffffff)
.endm

TEST_BEGIN
  /* ---- LR/SC ---- */
  TEST 1                            /* LR.D / SC.D succeed: rd = 0, memory written */
  la a1, amo_buf
  li a0, 100
  sd a0, 0(a1)
  lr.d a0, (a1)
  EXPECT a0, 100
  li a2, 200
  sc.d a3, a2, (a1)
  EXPECT a3, 0
  ld a0, 0(a1)
  EXPECT a0, 200

  TEST 2                            /* a second SC has no reservation: fails */
  li a2, 300
  sc.d a3, a2, (a1)
  EXPECT_NE a3, zero
  ld a0, 0(a1)
  EXPECT a0, 200

  TEST 3                            /* intervening store to the reserved word */
  lr.d a0, (a1)
  li a2, 7
  sd a2, 0(a1)
  li a2, 400
  sc.d a3, a2, (a1)
  EXPECT_NE a3, zero
  ld a0, 0(a1)
  EXPECT a0, 7

  TEST 4                            /* SC to another address than the LR's fails */
  la a4, amo_far
  sd zero, 0(a4)
  lr.d a0, (a1)
  li a2, 500
  sc.d a3, a2, (a4)
  EXPECT_NE a3, zero
  ld a0, 0(a4)
  EXPECT a0, 0
  TEST 5                            /* ...and that SC also ended the reservation */
  sc.d a3, a2, (a1)
  EXPECT_NE a3, zero
  ld a0, 0(a1)
  EXPECT a0, 7

  TEST 6                            /* LR.W sign-extends; SC.W writes 32 bits */
  li a0, 0x1111111180000000
  sd a0, 0(a1)
  lr.w a0, (a1)
  EXPECT a0, 0xffffffff80000000
  li a2, 0xffffffff12345678
  sc.w a3, a2, (a1)
  EXPECT a3, 0
  ld a0, 0(a1)
  EXPECT a0, 0x1111111112345678

  TEST 7                            /* LR.W on the upper word */
  addi a4, a1, 4
  lr.w a0, (a4)
  EXPECT a0, 0x11111111
  li a2, 0x22
  sc.w a3, a2, (a4)
  EXPECT a3, 0
  ld a0, 0(a1)
  EXPECT a0, 0x0000002212345678

  TEST 8                            /* aq/rl encodings behave the same */
  lr.d.aq a0, (a1)
  li a2, 9
  sc.d.rl a3, a2, (a1)
  EXPECT a3, 0
  lr.w.aqrl a0, (a1)
  EXPECT a0, 9
  li a2, 10
  sc.w.aqrl a3, a2, (a1)
  EXPECT a3, 0
  ld a0, 0(a1)
  EXPECT a0, 10

  TEST 9                            /* an LR/SC increment loop */
  sd zero, 0(a1)
  li a4, 5
1:
  lr.d a0, (a1)
  addi a0, a0, 3
  sc.d a3, a0, (a1)
  bnez a3, 1b
  addi a4, a4, -1
  bnez a4, 1b
  ld a0, 0(a1)
  EXPECT a0, 15

  /* ---- AMO .D ---- */
  TEST_AMO_D 10, amoswap.d, 0x1234, 0x5678, 0x1234, 0x5678
  TEST_AMO_D 11, amoadd.d,  0xffffffffffffffff, 2, 0xffffffffffffffff, 1
  TEST_AMO_D 12, amoxor.d,  0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0
  TEST_AMO_D 13, amoand.d,  0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00
  TEST_AMO_D 14, amoor.d,   0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xfff0fff0fff0fff0
  TEST_AMO_D 15, amomin.d,  5, -3, 5, -3
  TEST_AMO_D 16, amomin.d,  -3, 5, -3, -3
  TEST_AMO_D 17, amomax.d,  -3, 5, -3, 5
  TEST_AMO_D 18, amomax.d,  0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff, 0x7fffffffffffffff
  TEST_AMO_D 19, amominu.d, 5, -3, 5, 5                     /* -3 is huge unsigned */
  TEST_AMO_D 20, amominu.d, -3, 5, -3, 5
  TEST_AMO_D 21, amomaxu.d, 5, -3, 5, -3
  TEST_AMO_D 22, amomaxu.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000000

  /* ---- AMO .W: old value sign-extended, high word untouched ---- */
  TEST_AMO_W 23, amoswap.w, 0x80000000, 0x1234, 0xffffffff80000000, 0x1234
  TEST_AMO_W 24, amoadd.w,  0x7fffffff, 1, 0x7fffffff, 0x80000000  /* wraps in 32 bits */
  TEST_AMO_W 25, amoadd.w,  0xffffffff, 1, 0xffffffffffffffff, 0   /* no carry into high word */
  TEST_AMO_W 26, amoxor.w,  0xf0f0f0f0, 0xffffffff, 0xfffffffff0f0f0f0, 0x0f0f0f0f
  TEST_AMO_W 27, amoand.w,  0xf0f0f0f0, 0x0ff00ff0, 0xfffffffff0f0f0f0, 0x00f000f0
  TEST_AMO_W 28, amoor.w,   0x0000f0f0, 0x0ff00ff0, 0xf0f0, 0x0ff0fff0
  TEST_AMO_W 29, amomin.w,  0x80000000, 1, 0xffffffff80000000, 0x80000000  /* signed 32-bit */
  TEST_AMO_W 30, amomin.w,  5, 0x100000003, 5, 3                           /* rs2 upper bits ignored */
  TEST_AMO_W 31, amomax.w,  0x80000000, 1, 0xffffffff80000000, 1
  TEST_AMO_W 32, amomax.w,  0x7fffffff, 0xffffffff, 0x7fffffff, 0x7fffffff
  TEST_AMO_W 33, amominu.w, 0x80000000, 1, 0xffffffff80000000, 1
  TEST_AMO_W 34, amominu.w, 2, 0xffffffff00000003, 2, 2
  TEST_AMO_W 35, amomaxu.w, 0x80000000, 1, 0xffffffff80000000, 0x80000000
  TEST_AMO_W 36, amomaxu.w, 1, 0xffffffff, 1, 0xffffffff

  TEST 37                           /* .W on the upper word leaves the lower one */
  la a1, amo_buf
  li a0, 0x0000000111111111
  sd a0, 0(a1)
  addi a4, a1, 4
  li a2, 0x7fffffff
  amoadd.w a0, a2, (a4)
  EXPECT a0, 1
  ld a0, 0(a1)
  EXPECT a0, 0x8000000011111111

  TEST 38                           /* aq / rl / aqrl variants */
  sd zero, 0(a1)
  li a2, 1
  amoadd.d.aq a0, a2, (a1)
  amoadd.d.rl a0, a2, (a1)
  amoadd.d.aqrl a0, a2, (a1)
  amoadd.w.aq a0, a2, (a1)
  amoadd.w.rl a0, a2, (a1)
  amoadd.w.aqrl a0, a2, (a1)
  EXPECT a0, 5
  amoswap.d.aqrl a0, zero, (a1)
  EXPECT a0, 6
  ld a0, 0(a1)
  EXPECT a0, 0

  TEST 39                           /* rd = x0 still updates memory */
  li a2, 42
  amoswap.d x0, a2, (a1)
  ld a0, 0(a1)
  EXPECT a0, 42

  TEST 40                           /* rd == rs2: old value replaces the source */
  li a0, 8
  amoadd.d a0, a0, (a1)
  EXPECT a0, 42
  ld a0, 0(a1)
  EXPECT a0, 50

  /* ---- misaligned LR traps (AMO/SC: see rv64a_misaligned.S) ---- */
  TEST 41
  la a1, amo_buf
  li a0, 0x0123456789abcdef
  sd a0, 0(a1)
  addi a4, a1, 2
  TRAP CAUSE_MISALIGNED_LOAD, lr.w a0, (a4)
  EXPECT_EQ s11, a4
  TEST 42
  addi a4, a1, 4
  TRAP CAUSE_MISALIGNED_LOAD, lr.d a0, (a4)
  EXPECT_EQ s11, a4
TEST_END

  .data
  .align 6
amo_buf:
  .dword 0, 0
  .align 12
amo_far:                            /* another page: surely another reservation set */
  .dword 0

/*
 * RV64I loads and stores: every width, sign vs zero extension, positive
 * and negative offsets, little-endian byte order, stores touching only
 * their own bytes, a load whose rd is its base register, loads to x0,
 * and FENCE.
 */
#include "test.h"

/* Load `op` from buf + off into a0 and compare. */
.macro TEST_LD n, op, result, off
  TEST \n
  la a1, buf
  \op a0, \off(a1)
  EXPECT a0, \result
.endm

TEST_BEGIN
  /* buf holds 0x8877665544332211 0x00ff7f80fedcba98 (see below) */
  TEST_LD  1, lb,  0x11, 0
  TEST_LD  2, lb,  0xffffffffffffff88, 7          /* sign-extends */
  TEST_LD  3, lbu, 0x88, 7                        /* zero-extends */
  TEST_LD  4, lb,  0x7f, 13
  TEST_LD  5, lb,  0xffffffffffffff80, 12
  TEST_LD  6, lh,  0x2211, 0
  TEST_LD  7, lh,  0xffffffffffff8877, 6
  TEST_LD  8, lhu, 0x8877, 6
  TEST_LD  9, lh,  0x7f80, 12
  TEST_LD 10, lw,  0x44332211, 0
  TEST_LD 11, lw,  0xffffffff88776655, 4
  TEST_LD 12, lwu, 0x88776655, 4
  TEST_LD 13, lw,  0x00ff7f80, 12
  TEST_LD 14, ld,  0x8877665544332211, 0
  TEST_LD 15, ld,  0x00ff7f80fedcba98, 8
  TEST_LD 16, lbu, 0xff, 14
  TEST_LD 17, lhu, 0x00ff, 14

  /* negative offsets */
  TEST 18
  la a1, buf + 16
  ld a0, -16(a1)
  EXPECT a0, 0x8877665544332211
  TEST 19
  la a1, buf + 2048
  lbu a0, -2048(a1)
  EXPECT a0, 0x11

  /* rd == base register */
  TEST 20
  la a0, buf
  ld a0, 8(a0)
  EXPECT a0, 0x00ff7f80fedcba98

  /* loads into x0 are discarded (but still performed) */
  TEST 21
  la a1, buf
  lw x0, 0(a1)
  EXPECT x0, 0

  /* ---- stores: only the addressed bytes change ---- */
  TEST 22
  la a1, scratch
  li a0, -1
  sd a0, 0(a1)
  sd a0, 8(a1)
  li a2, 0x1122334455667788
  sb a2, 3(a1)                    /* stores 0x88 only */
  ld a0, 0(a1)
  EXPECT a0, 0xffffffff88ffffff
  TEST 23
  sh a2, 6(a1)                    /* 0x7788 */
  ld a0, 0(a1)
  EXPECT a0, 0x7788ffff88ffffff
  TEST 24
  sw a2, 8(a1)                    /* 0x55667788 */
  ld a0, 8(a1)
  EXPECT a0, 0xffffffff55667788
  TEST 25
  sd a2, 0(a1)
  ld a0, 0(a1)
  EXPECT a0, 0x1122334455667788
  ld a0, 8(a1)
  EXPECT a0, 0xffffffff55667788   /* next dword untouched */
  TEST 26                         /* byte order is little-endian */
  lbu a0, 0(a1)
  EXPECT a0, 0x88
  lbu a0, 7(a1)
  EXPECT a0, 0x11
  lhu a0, 2(a1)
  EXPECT a0, 0x5566
  TEST 27                         /* negative store offset */
  la a3, scratch + 16
  li a0, 0xabcd
  sh a0, -16(a3)
  lhu a0, 0(a1)
  EXPECT a0, 0xabcd
  TEST 28                         /* store of x0 */
  sd x0, 8(a1)
  ld a0, 8(a1)
  EXPECT a0, 0
  TEST 29                         /* store where data register == base */
  la a3, scratch + 8
  sd a3, 0(a3)
  ld a0, 8(a1)
  EXPECT_EQ a0, a3

  /* ---- FENCE variants execute and order a store before a load ---- */
  TEST 30
  li a0, 0x5a
  sw a0, 0(a1)
  fence
  fence rw, rw
  fence w, r
  fence iorw, iorw
  fence.tso
  lw a0, 0(a1)
  EXPECT a0, 0x5a

TEST_END

  .data
  .align 4
buf:
  .dword 0x8877665544332211
  .dword 0x00ff7f80fedcba98
  .zero 4096
scratch:
  .zero 32

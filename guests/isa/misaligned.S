/*
 * Misaligned plain loads and stores complete without trapping (done in
 * hardware, as QEMU does): halfword, word and doubleword accesses at every
 * misaligned offset, sign/zero extension, stores writing exactly their
 * bytes, accesses crossing an 8-byte boundary and a 4 KiB page boundary,
 * and misaligned FLW/FLD/FSW/FSD.  (Misaligned accesses through page
 * tables are in vm_sv39.S; atomics in rv64a*.S.)
 */
#include "test.h"

/* load `op` at pattern + off, compare */
.macro TEST_MLD n, op, result, off
  TEST \n
  la a1, pattern
  \op a0, \off(a1)
  EXPECT a0, \result
.endm

TEST_BEGIN
  /* pattern bytes: 0x80 0x81 ... 0x8f, 0x70 0x71 ... 0x7f */
  TEST_MLD  1, lh,  0xffffffffffff8281, 1
  TEST_MLD  2, lhu, 0x8281, 1
  TEST_MLD  3, lh,  0x0000000000007170, 16                     /* aligned control */
  TEST_MLD  4, lh,  0x000000000000708f, 15                     /* crosses 8 and 16 */
  TEST_MLD  5, lw,  0xffffffff84838281, 1
  TEST_MLD  6, lwu, 0x0000000085848382, 2
  TEST_MLD  7, lw,  0xffffffff86858483, 3
  TEST_MLD  8, lw,  0x0000000071708f8e, 14                     /* positive word */
  TEST_MLD  9, ld,  0x8887868584838281, 1
  TEST_MLD 10, ld,  0x8988878685848382, 2
  TEST_MLD 11, ld,  0x8a89888786858483, 3
  TEST_MLD 12, ld,  0x8b8a898887868584, 4
  TEST_MLD 13, ld,  0x8c8b8a8988878685, 5
  TEST_MLD 14, ld,  0x8d8c8b8a89888786, 6
  TEST_MLD 15, ld,  0x8e8d8c8b8a898887, 7
  TEST_MLD 16, ld,  0x737271708f8e8d8c, 12

  /* ---- stores ---- */
  TEST 17
  la a1, sbuf
  sd zero, 0(a1)
  sd zero, 8(a1)
  li a2, 0x1122334455667788
  sh a2, 1(a1)
  ld a0, 0(a1)
  EXPECT a0, 0x0000000000778800
  TEST 18
  sw a2, 5(a1)                      /* bytes 5..8: crosses into the next dword */
  ld a0, 0(a1)
  EXPECT a0, 0x6677880000778800
  ld a0, 8(a1)
  EXPECT a0, 0x55
  TEST 19
  sd a2, 9(a1)
  ld a0, 8(a1)
  EXPECT a0, 0x2233445566778855
  ld a0, 16(a1)
  EXPECT a0, 0x11
  TEST 20                           /* read back what was written, misaligned */
  ld a0, 9(a1)
  EXPECT a0, 0x1122334455667788
  lw a0, 5(a1)
  EXPECT a0, 0x55667788
  lhu a0, 1(a1)
  EXPECT a0, 0x7788

  /* ---- across a 4 KiB page boundary ---- */
  TEST 21
  la a1, page_end                   /* a1 = first byte of the second page */
  li a2, 0x0102030405060708
  sd a2, -3(a1)
  ld a0, -3(a1)
  EXPECT a0, 0x0102030405060708
  TEST 22
  lbu a0, -3(a1)
  EXPECT a0, 0x08
  lbu a0, 4(a1)
  EXPECT a0, 0x01
  lw a0, -2(a1)
  EXPECT a0, 0x04050607
  lhu a0, -1(a1)
  EXPECT a0, 0x0506
  TEST 23
  li a2, 0xa1b2c3d4
  sw a2, -1(a1)
  lwu a0, -1(a1)
  EXPECT a0, 0xa1b2c3d4
  ld a0, -3(a1)
  EXPECT a0, 0x0102a1b2c3d40708

  /* ---- floating point ---- */
  TEST 24
  la a1, sbuf
  li a2, 0x3ff0000000000000
  sd a2, 0(a1)
  sd a2, 8(a1)
  fld fa0, 3(a1)                    /* bytes 3..10 */
  fmv.x.d a0, fa0
  EXPECT a0, 0x0000003ff0000000
  TEST 25
  flw fa1, 5(a1)
  fmv.x.w a0, fa1
  EXPECTW a0, 0x003ff000          /* bytes 5..8 = 00 f0 3f 00 */
  TEST 26
  li a2, 0x4000000000000000
  fmv.d.x fa2, a2
  fsd fa2, 1(a1)
  ld a0, 0(a1)
  EXPECT a0, 0x0000000000000000
  ld a0, 8(a1)
  EXPECT a0, 0x3ff0000000000040
  TEST 27
  li a2, 0x40400000
  fmv.w.x fa3, a2
  fsw fa3, 13(a1)
  ld a0, 8(a1)
  EXPECT a0, 0x4000000000000040
  lbu a0, 16(a1)
  EXPECT a0, 0x40
TEST_END

  .data
  .align 4
pattern:
  .byte 0x80,0x81,0x82,0x83,0x84,0x85,0x86,0x87,0x88,0x89,0x8a,0x8b,0x8c,0x8d,0x8e,0x8f
  .byte 0x70,0x71,0x72,0x73,0x74,0x75,0x76,0x77
sbuf:
  .zero 32
  .align 12
  .zero 4096 - 16
  .zero 16
page_end:
  .zero 16

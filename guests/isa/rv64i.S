/*
 * RV64I computational instructions: ADD/SUB/logic/compare (register and
 * immediate forms), the shifts incl. amounts 0/31/63 and the masking of
 * the amount, the *W forms and their sign extension, LUI and AUIPC, and
 * writes to x0 being discarded.
 */
#include "test.h"

TEST_BEGIN

  /* ---- ADD / ADDI / SUB ---- */
  TEST_RR  1, add, 2, 1, 1
  TEST_RR  2, add, 0x8000000000000000, 0x7fffffffffffffff, 1   /* wraps, no trap */
  TEST_RR  3, add, 0, -1, 1
  TEST_RR  4, add, 0x100000000, 0xffffffff, 1                 /* no 32-bit wrap */
  TEST_RI  5, addi, -2048, 0, -2048
  TEST_RI  6, addi, 2047, 0, 2047
  TEST_RI  7, addi, 0x8000000000000000, 0x7fffffffffffffff, 1
  TEST_RI  8, addi, 0xfffffffffffff800, 0, 0x800 - 0x1000       /* imm sign-extended */
  TEST_RR  9, sub, -1, 0, 1
  TEST_RR 10, sub, 0x7fffffffffffffff, 0x8000000000000000, 1
  TEST_RR 11, sub, 0, 0x123456789abcdef0, 0x123456789abcdef0

  /* ---- compares ---- */
  TEST_RR 12, slt,  1, -1, 1
  TEST_RR 13, sltu, 0, -1, 1                        /* -1 is the largest unsigned */
  TEST_RR 14, slt,  0, 5, 5
  TEST_RR 15, slt,  1, 0x8000000000000000, 0x7fffffffffffffff
  TEST_RR 16, sltu, 0, 0x8000000000000000, 0x7fffffffffffffff
  TEST_RI 17, slti, 1, -5, -4
  TEST_RI 18, slti, 0, 0, -1
  TEST_RI 19, sltiu, 1, 5, -1                       /* imm sign-extends, then unsigned */
  TEST_RI 20, sltiu, 1, 0, 1                        /* seqz */
  TEST_RI 21, sltiu, 0, 1, 1
  TEST_RI 22, sltiu, 0, -1, 2047

  /* ---- logic ---- */
  TEST_RR 23, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f
  TEST_RR 24, or,  0xff0fff0f, 0xff00ff00, 0x0f0f0f0f
  TEST_RR 25, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f
  TEST_RI 26, andi, 0xff00ff00, 0xff00ff00, -1      /* imm -1 = all ones */
  TEST_RI 27, andi, 0x700, 0xff00ff00, 0x7f0
  TEST_RI 28, ori,  0x7f1, 0x1, 0x7f0
  TEST 29
  li a1, 1
  ori a0, a1, -2048
  EXPECT a0, 0xfffffffffffff801
  TEST_RI 30, xori, 0xedcba9876543210f, 0x123456789abcdef0, -1   /* not */
  TEST_RI 31, xori, 0x123456789abcdef5, 0x123456789abcdef0, 5

  /* ---- 64-bit shifts: amounts 0, 31, 63, and only the low 6 bits count ---- */
  TEST_RR 32, sll, 0x0000000000000001, 1, 0
  TEST_RR 33, sll, 0x0000000080000000, 1, 31
  TEST_RR 34, sll, 0x8000000000000000, 1, 63
  TEST_RR 35, sll, 0x0000000000000002, 1, 65        /* 65 & 63 = 1 */
  TEST_RR 36, srl, 0x8000000000000000, 0x8000000000000000, 0
  TEST_RR 37, srl, 0x0000000100000000, 0x8000000000000000, 31
  TEST_RR 38, srl, 0x0000000000000001, 0x8000000000000000, 63
  TEST_RR 39, srl, 0x8000000000000000, 0x8000000000000000, 64
  TEST_RR 40, sra, 0x8000000000000000, 0x8000000000000000, 0
  TEST_RR 41, sra, 0xffffffff00000000, 0x8000000000000000, 31
  TEST_RR 42, sra, 0xffffffffffffffff, 0x8000000000000000, 63
  TEST_RR 43, sra, 0x3fffffffffffffff, 0x7fffffffffffffff, 1
  TEST_RI 44, slli, 0x0000000000000001, 1, 0
  TEST_RI 45, slli, 0xffffffff80000000, 0xffffffffffffffff, 31
  TEST_RI 46, slli, 0x8000000000000000, 0xffffffffffffffff, 63
  TEST_RI 47, srli, 0xffffffffffffffff, 0xffffffffffffffff, 0
  TEST_RI 48, srli, 0x00000001ffffffff, 0xffffffffffffffff, 31
  TEST_RI 49, srli, 0x0000000000000001, 0xffffffffffffffff, 63
  TEST_RI 50, srai, 0x8000000000000000, 0x8000000000000000, 0
  TEST_RI 51, srai, 0xffffffff00000000, 0x8000000000000000, 31
  TEST_RI 52, srai, 0xffffffffffffffff, 0x8000000000000000, 63
  TEST_RI 53, srai, 0x0000000000000000, 0x7fffffffffffffff, 63

  /* ---- *W forms: 32-bit operation, result sign-extended, upper input bits ignored ---- */
  TEST_RR 54, addw, 0xffffffff80000000, 0x7fffffff, 1
  TEST_RR 55, addw, 0, 0xffffffff, 1
  TEST_RR 56, addw, 3, 0x1234567800000001, 0x8765432100000002
  TEST_RI 57, addiw, 0xffffffff80000000, 0x7fffffff, 1
  TEST_RI 58, addiw, 0xffffffff80000000, 0x0000000180000000, 0   /* sext.w */
  TEST_RI 59, addiw, 0x7fffffff, 0x17fffffff, 0
  TEST_RI 60, addiw, 0xfffffffffffff800, 0, -2048
  TEST_RR 61, subw, 0xffffffffffffffff, 0, 1
  TEST_RR 62, subw, 0x7fffffff, 0x80000000, 1
  TEST_RR 63, subw, 0xffffffff80000000, 0, 0x80000000
  TEST_RR 64, sllw, 0xffffffff80000000, 1, 31
  TEST_RR 65, sllw, 0x0000000000000001, 1, 32         /* only 5 bits count */
  TEST_RR 66, sllw, 0x0000000000000000, 0x100000000, 0  /* upper bits dropped */
  TEST_RR 67, srlw, 0x0000000000000001, 0xffffffff80000000, 31
  TEST_RR 68, srlw, 0xffffffff80000000, 0x80000000, 0    /* 0 shift still sign-extends */
  TEST_RR 69, srlw, 0x0000000000000001, 0xffffffff00000010, 4
  TEST_RR 70, srlw, 0x0000000040000000, 0x80000000, 33   /* 33 & 31 = 1 */
  TEST_RR 71, sraw, 0xffffffffffffffff, 0x80000000, 31
  TEST_RR 72, sraw, 0xfffffffff8000000, 0x80000000, 4
  TEST_RR 73, sraw, 0x0000000000000007, 0xffffffff0000007f, 4
  TEST_RI 74, slliw, 0xffffffff80000000, 1, 31
  TEST_RI 75, slliw, 0x0000000012345678, 0xabcdef0012345678, 0
  TEST_RI 76, srliw, 0x0000000000000001, 0x80000000, 31
  TEST_RI 77, srliw, 0xffffffff80000000, 0x80000000, 0
  TEST_RI 78, srliw, 0x000000007fffffff, 0xffffffffffffffff, 1
  TEST_RI 79, sraiw, 0xffffffffffffffff, 0x80000000, 31
  TEST_RI 80, sraiw, 0xffffffffc0000000, 0x80000000, 1
  TEST_RI 81, sraiw, 0x0000000000000000, 0xffffffff7fffffff, 31

  /* ---- LUI / AUIPC ---- */
  TEST 82
  lui a0, 0x80000                /* bit 31 set: sign-extends on RV64 */
  EXPECT a0, 0xffffffff80000000
  TEST 83
  lui a0, 0x7ffff
  EXPECT a0, 0x7ffff000
  TEST 84
  lui a0, 0
  EXPECT a0, 0
  TEST 85
  lui a0, 0xfffff
  EXPECT a0, 0xfffffffffffff000
  TEST 86
.Lauipc0:
  auipc a0, 0
  la a1, .Lauipc0
  EXPECT_EQ a0, a1
  TEST 87
.Lauipc1:
  auipc a0, 1
  la a1, .Lauipc1
  sub a0, a0, a1
  EXPECT a0, 0x1000
  TEST 88
.Lauipc2:
  auipc a0, 0x80000              /* pc - 2 GiB: the immediate is sign-extended */
  la a1, .Lauipc2
  sub a0, a0, a1
  EXPECT a0, 0xffffffff80000000
  TEST 89
.Lauipc3:
  auipc a0, 0xfffff              /* pc - 4096 */
  la a1, .Lauipc3
  sub a0, a1, a0
  EXPECT a0, 0x1000

  /* ---- x0 is hard-wired to zero ---- */
  TEST 90
  li a1, 5
  add x0, a1, a1
  addi x0, x0, 7
  lui x0, 0x12345
  EXPECT x0, 0
  mv a0, x0
  EXPECT a0, 0

  /* ---- destination equal to a source ---- */
  TEST 91
  li a0, 13
  add a0, a0, a0
  EXPECT a0, 26
  TEST 92
  li a0, 0x100
  sub a0, a0, a0
  EXPECT a0, 0
  TEST 93
  li a0, 3
  sll a0, a0, a0
  EXPECT a0, 24

  /* NOP and HINTs (rd = x0 forms) have no effect */
  TEST 94
  li a0, 77
  nop
  addi x0, a0, 1
  slli x0, a0, 3
  EXPECT a0, 77

TEST_END

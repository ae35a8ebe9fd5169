/*
 * M extension: MUL/MULH/MULHSU/MULHU/MULW, DIV/DIVU/REM/REMU and the W
 * forms, incl. division by zero (quotient all ones, remainder = dividend)
 * and signed overflow INT_MIN / -1 (quotient INT_MIN, remainder 0).
 */
#include "test.h"

#define MIN64 0x8000000000000000
#define MAX64 0x7fffffffffffffff

TEST_BEGIN
  /* ---- MUL: low 64 bits ---- */
  TEST_RR  1, mul, 21, 3, 7
  TEST_RR  2, mul, 1, -1, -1
  TEST_RR  3, mul, MIN64, MIN64, -1                   /* overflow wraps */
  TEST_RR  4, mul, 0x0000000000000001, MAX64, MAX64
  TEST_RR  5, mul, 0xfffffffe00000001, 0xffffffff, 0xffffffff
  TEST_RR  6, mul, 0, 0x123456789, 0

  /* ---- MULH (signed x signed, high 64) ---- */
  TEST_RR  7, mulh, 0, -1, -1
  TEST_RR  8, mulh, 0xffffffffffffffff, -1, 1
  TEST_RR  9, mulh, 0x4000000000000000, MIN64, MIN64  /* 2^126 */
  TEST_RR 10, mulh, 0xc000000000000000, MIN64, MAX64
  TEST_RR 11, mulh, 0, 3, 7

  /* ---- MULHU (unsigned x unsigned) ---- */
  TEST_RR 12, mulhu, 0xfffffffffffffffe, -1, -1
  TEST_RR 13, mulhu, 1, MIN64, 2
  TEST_RR 14, mulhu, 0, 0xffffffff, 0xffffffff
  TEST_RR 15, mulhu, 0x00000000ffffffff, 0xffffffff00000000, 0x100000000

  /* ---- MULHSU (rs1 signed x rs2 unsigned) ---- */
  TEST_RR 16, mulhsu, 0xffffffffffffffff, -1, -1      /* -(2^64-1) */
  TEST_RR 17, mulhsu, 1, 2, -1                        /* 2*(2^64-1) */
  TEST_RR 18, mulhsu, 0xffffffffffffffff, -2, MIN64   /* -2^64 */
  TEST_RR 19, mulhsu, 0, 1, -1
  TEST_RR 20, mulhsu, 0xc000000000000000, MIN64, MIN64

  /* ---- MULW: 32-bit product, sign-extended ---- */
  TEST_RR 21, mulw, 0xfffffffffffffffe, 0x7fffffff, 2
  TEST_RR 22, mulw, 15, 0x100000003, 0x100000005      /* upper bits ignored */
  TEST_RR 23, mulw, 0xffffffff80000000, 0x80000000, 1
  TEST_RR 24, mulw, 1, -1, -1

  /* ---- DIV / DIVU ---- */
  TEST_RR 25, div, 3, 20, 6
  TEST_RR 26, div, -3, -20, 6                         /* rounds toward zero */
  TEST_RR 27, div, -3, 20, -6
  TEST_RR 28, div, 3, -20, -6
  TEST_RR 29, div, -1, 20, 0                          /* by zero: all ones */
  TEST_RR 30, div, -1, MIN64, 0
  TEST_RR 31, div, MIN64, MIN64, -1                   /* overflow */
  TEST_RR 32, divu, 3, 20, 6
  TEST_RR 33, divu, MAX64, -1, 2
  TEST_RR 34, divu, 0xffffffffffffffff, 20, 0         /* by zero: 2^64-1 */
  TEST_RR 35, divu, 0, MIN64, -1
  TEST_RR 36, divu, 1, -1, -1

  /* ---- REM / REMU ---- */
  TEST_RR 37, rem, 2, 20, 6
  TEST_RR 38, rem, -2, -20, 6                         /* sign of the dividend */
  TEST_RR 39, rem, 2, 20, -6
  TEST_RR 40, rem, -2, -20, -6
  TEST_RR 41, rem, 20, 20, 0                          /* by zero: dividend */
  TEST_RR 42, rem, -20, -20, 0
  TEST_RR 43, rem, 0, MIN64, -1                       /* overflow: 0 */
  TEST_RR 44, remu, 2, 20, 6
  TEST_RR 45, remu, 1, -1, 2
  TEST_RR 46, remu, -20, -20, 0                       /* by zero: dividend */
  TEST_RR 47, remu, MIN64, MIN64, -1

  /* ---- DIVW / DIVUW / REMW / REMUW: 32-bit, results sign-extended ---- */
  TEST_RR 48, divw, 3, 20, 6
  TEST_RR 49, divw, -3, -20, 6
  TEST_RR 50, divw, 3, 0x100000014, 0xffffffff00000006   /* upper bits ignored */
  TEST_RR 51, divw, -1, 20, 0
  TEST_RR 52, divw, 0xffffffff80000000, 0x80000000, -1    /* INT32_MIN / -1 */
  TEST_RR 53, divw, -1, 0x80000000, 0
  TEST_RR 54, divuw, 0xffffffffffffffff, 0xffffffff, 1    /* result sign-extended */
  TEST_RR 55, divuw, 0xffffffffffffffff, 20, 0
  TEST_RR 56, divuw, 0x40000000, 0x80000000, 2
  TEST_RR 57, divuw, 0, 0x80000000, 0xffffffff
  TEST_RR 58, remw, -2, -20, 6
  TEST_RR 59, remw, 0, 0x80000000, -1                      /* overflow: 0 */
  TEST_RR 60, remw, 0xffffffff80000000, 0x80000000, 0      /* by zero: sext dividend */
  TEST_RR 61, remw, 2, 0x1234567800000014, 6
  TEST_RR 62, remuw, 5, 0xffffffff, 10
  TEST_RR 63, remuw, 0xffffffff80000000, 0x80000000, 0     /* by zero: sext dividend */
  TEST_RR 64, remuw, 0x7fffffff, 0x7fffffff, 0x80000000
  TEST_RR 65, remuw, 0, 0xffffffff, 0x100000001            /* divisor low bits = 1 */

  /* rd == rs1 == rs2 */
  TEST 66
  li a0, -7
  mul a0, a0, a0
  EXPECT a0, 49
  TEST 67
  li a0, -7
  div a0, a0, a0
  EXPECT a0, 1
TEST_END

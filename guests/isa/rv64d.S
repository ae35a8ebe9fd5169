/*
 * D extension arithmetic on double precision: FADD/FSUB/FMUL/FDIV/FSQRT,
 * fused multiply-adds, FMIN/FMAX, sign injection, compares, FCLASS (all
 * ten classes), FMV.X.D/FMV.D.X, FLD/FSD, and a NaN-boxed single seen
 * by a double op (a negative quiet NaN).  Exact fflags are checked.
 */
#include "test.h"
#include "fp.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define DZ FFLAG_DZ
#define NV FFLAG_NV
#define D_SIX  0x4018000000000000
#define D_NTWO 0xc000000000000000

TEST_BEGIN
  /* ---- FADD / FSUB ---- */
  TEST_FD2  1, fadd.d, D_THREE, 0, D_ONE, D_TWO
  TEST_FD2  2, fadd.d, D_ZERO, 0, D_ONE, D_NONE
  TEST_FD2  3, fadd.d, D_NZERO, 0, D_ONE, D_NONE, rdn
  TEST_FD2  4, fadd.d, D_QNAN, NV, D_INF, D_NINF
  TEST_FD2  5, fadd.d, D_INF, OF|NX, D_MAX, D_MAX
  TEST_FD2  6, fadd.d, D_MAX, OF|NX, D_MAX, D_MAX, rtz
  TEST_FD2  7, fadd.d, D_ONE, NX, D_ONE, 0x3ca0000000000000      /* 1 + 2^-53: tie to even */
  TEST_FD2  8, fadd.d, 0x3ff0000000000001, NX, D_ONE, 0x3ca0000000000000, rup
  TEST_FD2  9, fadd.d, 0x3ff0000000000001, NX, D_ONE, 0x3ca0000000000000, rmm
  TEST_FD2 10, fadd.d, D_ONE, NX, D_ONE, 0x3ca0000000000000, rdn
  TEST_FD2 11, fadd.d, D_QNAN, NV, D_SNAN, D_ONE
  TEST_FD2 12, fadd.d, D_QNAN, 0, 0x7ff8000000012345, D_ONE
  TEST_FD2 13, fsub.d, D_TWO, 0, D_THREE, D_ONE
  TEST_FD2 14, fsub.d, D_QNAN, NV, D_INF, D_INF
  TEST_FD2 15, fsub.d, D_NZERO, 0, D_TWO, D_TWO, rdn
  TEST_FD2 16, fsub.d, D_NZERO, 0, D_NZERO, D_ZERO

  /* ---- FMUL / FDIV / FSQRT ---- */
  TEST_FD2 17, fmul.d, D_SIX, 0, D_TWO, D_THREE
  TEST_FD2 18, fmul.d, D_QNAN, NV, D_INF, D_ZERO
  TEST_FD2 19, fmul.d, D_NZERO, 0, D_NTWO, D_ZERO
  TEST_FD2 20, fmul.d, 0x0008000000000000, 0, D_MINNORM, D_HALF  /* exact subnormal */
  TEST_FD2 21, fmul.d, D_ZERO, UF|NX, D_MINSUB, D_HALF
  TEST_FD2 22, fmul.d, D_MINSUB, UF|NX, D_MINSUB, D_HALF, rup
  TEST_FD2 23, fmul.d, D_INF, OF|NX, D_MAX, D_TWO
  TEST_FD2 24, fmul.d, 0xffefffffffffffff, OF|NX, D_MAX, D_NTWO, rtz
  TEST_FD2 25, fdiv.d, 0x3fd5555555555555, NX, D_ONE, D_THREE
  TEST_FD2 26, fdiv.d, 0x3fd5555555555556, NX, D_ONE, D_THREE, rup
  TEST_FD2 27, fdiv.d, D_INF, DZ, D_ONE, D_ZERO
  TEST_FD2 28, fdiv.d, D_INF, DZ, D_NONE, D_NZERO                /* -1 / -0 */
  TEST_FD2 29, fdiv.d, D_QNAN, NV, D_ZERO, D_ZERO
  TEST_FD2 30, fdiv.d, D_THREE, 0, D_SIX, D_TWO
  TEST_FD2 31, fdiv.d, D_QNAN, NV, D_NINF, D_INF
  TEST_FD1 32, fsqrt.d, D_TWO, 0, 0x4010000000000000
  TEST_FD1 33, fsqrt.d, 0x3ff6a09e667f3bcd, NX, D_TWO
  TEST_FD1 34, fsqrt.d, 0x3ff6a09e667f3bcc, NX, D_TWO, rtz
  TEST_FD1 35, fsqrt.d, D_QNAN, NV, D_NONE
  TEST_FD1 36, fsqrt.d, D_NZERO, 0, D_NZERO
  TEST_FD1 37, fsqrt.d, D_INF, 0, D_INF
  TEST_FD1 38, fsqrt.d, D_QNAN, NV, D_NINF

  /* ---- fused multiply-add ---- */
  TEST_FD3 39, fmadd.d,  0x401c000000000000, 0, D_TWO, D_THREE, D_ONE
  TEST_FD3 40, fmsub.d,  0x4014000000000000, 0, D_TWO, D_THREE, D_ONE
  TEST_FD3 41, fnmsub.d, 0xc014000000000000, 0, D_TWO, D_THREE, D_ONE
  TEST_FD3 42, fnmadd.d, 0xc01c000000000000, 0, D_TWO, D_THREE, D_ONE
  /* single rounding: (1+2^-52)^2 - (1+2^-51) = 2^-104 */
  TEST_FD3 43, fmadd.d,  0x3970000000000000, 0, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000002
  TEST_FD3 44, fmadd.d,  D_QNAN, NV, D_ZERO, D_INF, D_QNAN
  TEST_FD3 45, fnmsub.d, D_QNAN, NV, D_ONE, D_ONE, D_SNAN
  TEST_FD3 46, fmadd.d,  D_NZERO, 0, D_ONE, D_ONE, D_NONE, rdn
  TEST_FD3 47, fnmadd.d, D_ZERO, 0, D_ONE, D_ONE, D_NONE
  TEST_FD3 48, fmsub.d,  D_NZERO, 0, D_NZERO, D_ONE, D_ZERO      /* -0 - +0 */

  /* ---- FMIN / FMAX ---- */
  TEST_FD2N 49, fmin.d, D_ONE, 0, D_ONE, D_TWO
  TEST_FD2N 50, fmax.d, D_TWO, 0, D_ONE, D_TWO
  TEST_FD2N 51, fmin.d, D_NZERO, 0, D_ZERO, D_NZERO
  TEST_FD2N 52, fmax.d, D_ZERO, 0, D_NZERO, D_ZERO
  TEST_FD2N 53, fmin.d, D_TWO, 0, D_QNAN, D_TWO
  TEST_FD2N 54, fmax.d, D_TWO, NV, D_TWO, D_SNAN
  TEST_FD2N 55, fmin.d, D_QNAN, 0, 0x7ff8000000012345, 0xfff8000000000000
  TEST_FD2N 56, fmax.d, D_QNAN, NV, D_SNAN, D_SNAN
  TEST_FD2N 57, fmax.d, D_INF, 0, D_MAX, D_INF

  /* ---- sign injection ---- */
  TEST_FD2N 58, fsgnj.d,  D_NONE, 0, D_ONE, D_NTWO
  TEST_FD2N 59, fsgnjn.d, D_ONE, 0, D_ONE, D_NTWO
  TEST_FD2N 60, fsgnjn.d, D_NONE, 0, D_ONE, D_TWO
  TEST_FD2N 61, fsgnjx.d, D_ONE, 0, D_NONE, D_NTWO
  TEST_FD2N 62, fsgnjx.d, D_NONE, 0, D_NONE, D_TWO
  TEST_FD2N 63, fsgnjn.d, 0xfff0000000000001, 0, D_SNAN, D_SNAN

  /* ---- compares ---- */
  TEST_FD_CMP 64, feq.d, 1, 0, D_TWO, D_TWO
  TEST_FD_CMP 65, feq.d, 0, 0, D_QNAN, D_QNAN
  TEST_FD_CMP 66, feq.d, 0, NV, D_ONE, D_SNAN
  TEST_FD_CMP 67, feq.d, 1, 0, D_ZERO, D_NZERO
  TEST_FD_CMP 68, flt.d, 1, 0, D_NONE, D_ONE
  TEST_FD_CMP 69, flt.d, 0, NV, D_ONE, D_QNAN
  TEST_FD_CMP 70, flt.d, 0, 0, D_ZERO, D_NZERO
  TEST_FD_CMP 71, fle.d, 1, 0, D_ZERO, D_NZERO
  TEST_FD_CMP 72, fle.d, 0, NV, D_QNAN, D_QNAN
  TEST_FD_CMP 73, fle.d, 0, 0, D_INF, D_MAX
  TEST_FD_CMP 74, flt.d, 1, 0, D_MINSUB, D_MINNORM

  /* ---- FCLASS ---- */
  TEST_FD_CLASS 75, 1 << 0, D_NINF
  TEST_FD_CLASS 76, 1 << 1, D_NTWO
  TEST_FD_CLASS 77, 1 << 2, 0x800fffffffffffff
  TEST_FD_CLASS 78, 1 << 3, D_NZERO
  TEST_FD_CLASS 79, 1 << 4, D_ZERO
  TEST_FD_CLASS 80, 1 << 5, 0x000fffffffffffff
  TEST_FD_CLASS 81, 1 << 6, D_MINNORM
  TEST_FD_CLASS 82, 1 << 7, D_INF
  TEST_FD_CLASS 83, 1 << 8, D_SNAN
  TEST_FD_CLASS 84, 1 << 9, D_QNAN
  TEST_FD_CLASS 85, 1 << 8, 0xfff7ffffffffffff
  TEST_FD_CLASS 86, 1 << 9, 0xffffffff3f800000                   /* a boxed single */

  /* ---- moves, loads, stores ---- */
  TEST 87
  li a1, 0xfff0000000000001         /* sNaN bits survive the round trip */
  fsflags zero
  fmv.d.x fa1, a1
  fmv.x.d a0, fa1
  frflags a5
  EXPECT_EQ a0, a1
  EXPECT a5, 0
  TEST 88
  la a1, dbuf
  fld fa1, 0(a1)
  fmv.x.d a0, fa1
  EXPECT a0, 0x0123456789abcdef
  fsd fa1, 8(a1)
  ld a0, 8(a1)
  EXPECT a0, 0x0123456789abcdef
  TEST 89                           /* FSD of a boxed single stores all 64 bits */
  LOAD_S fa1, S_ONE
  fsd fa1, 8(a1)
  ld a0, 8(a1)
  EXPECT a0, 0xffffffff3f800000
  TEST 90                           /* a double op on a boxed single: quiet NaN input */
  LOAD_D fa2, D_ONE
  fsflags zero
  fadd.d fa0, fa1, fa2
  CHECK_D D_QNAN, 0
TEST_END

  .data
  .align 4
dbuf:
  .dword 0x0123456789abcdef
  .dword 0

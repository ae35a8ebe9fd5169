/*
 * F extension arithmetic on single precision: FADD/FSUB/FMUL/FDIV/FSQRT,
 * the four fused multiply-adds (single rounding, inf*0 + qNaN invalid,
 * signed zero results), FMIN/FMAX (-0 < +0, NaN operands, canonical NaN),
 * FSGNJ/FSGNJN/FSGNJX, FEQ/FLT/FLE (quiet vs signalling compares), FCLASS
 * (all ten classes), FMV.X.W/FMV.W.X, FLW/FSW, and NaN-boxing: compute
 * and sign-injection ops treat a non-boxed input as the canonical NaN,
 * while transfers out (FMV.X.W, FSW) use the low 32 bits as they are.
 * Every check compares the exact fflags raised.
 */
#include "test.h"
#include "fp.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define DZ FFLAG_DZ
#define NV FFLAG_NV

TEST_BEGIN
  /* ---- FADD / FSUB ---- */
  TEST_FS2  1, fadd.s, S_THREE, 0, S_ONE, S_TWO
  TEST_FS2  2, fadd.s, S_ZERO, 0, S_ONE, S_NONE              /* x + -x = +0 ... */
  TEST_FS2  3, fadd.s, S_NZERO, 0, S_ONE, S_NONE, rdn        /* ... but -0 rounding down */
  TEST_FS2  4, fadd.s, S_QNAN, NV, S_INF, S_NINF
  TEST_FS2  5, fadd.s, S_INF, OF|NX, S_MAX, S_MAX
  TEST_FS2  6, fadd.s, S_MAX, OF|NX, S_MAX, S_MAX, rtz       /* overflow saturates in RTZ */
  TEST_FS2  7, fadd.s, S_ONE, NX, S_ONE, 0x33800000          /* 1 + 2^-24: tie to even */
  TEST_FS2  8, fadd.s, 0x3f800001, NX, S_ONE, 0x33800000, rup
  TEST_FS2  9, fadd.s, 0x3f800001, NX, S_ONE, 0x33800000, rmm /* tie away from zero */
  TEST_FS2 10, fadd.s, S_QNAN, NV, S_SNAN, S_ONE
  TEST_FS2 11, fadd.s, S_QNAN, 0, 0x7fc12345, S_ONE          /* payload not propagated */
  TEST_FS2 12, fadd.s, S_NZERO, 0, S_NZERO, S_NZERO
  TEST_FS2 13, fsub.s, S_TWO, 0, S_THREE, S_ONE
  TEST_FS2 14, fsub.s, S_QNAN, NV, S_INF, S_INF
  TEST_FS2 15, fsub.s, S_NZERO, 0, S_ONE, S_ONE, rdn
  TEST_FS2 16, fsub.s, S_NZERO, 0, S_NZERO, S_ZERO

  /* ---- FMUL / FDIV / FSQRT ---- */
  TEST_FS2 17, fmul.s, 0x40c00000, 0, S_TWO, S_THREE
  TEST_FS2 18, fmul.s, S_QNAN, NV, S_ZERO, S_INF
  TEST_FS2 19, fmul.s, S_NZERO, 0, 0xc0000000, S_ZERO
  TEST_FS2 20, fmul.s, 0x00400000, 0, S_MINNORM, S_HALF       /* exact subnormal: no UF */
  TEST_FS2 21, fmul.s, S_ZERO, UF|NX, S_MINSUB, S_HALF       /* tie to even: 0 */
  TEST_FS2 22, fmul.s, S_MINSUB, UF|NX, S_MINSUB, S_HALF, rup
  TEST_FS2 23, fmul.s, S_INF, OF|NX, S_MAX, S_TWO
  TEST_FS2 24, fmul.s, S_NINF, OF|NX, S_MAX, 0xc0000000, rne
  TEST_FS2 25, fmul.s, 0xff7fffff, OF|NX, S_MAX, 0xc0000000, rup /* toward +inf: -max */
  TEST_FS2 26, fdiv.s, 0x3eaaaaab, NX, S_ONE, S_THREE
  TEST_FS2 27, fdiv.s, 0x3eaaaaaa, NX, S_ONE, S_THREE, rtz
  TEST_FS2 28, fdiv.s, S_INF, DZ, S_ONE, S_ZERO
  TEST_FS2 29, fdiv.s, S_NINF, DZ, S_NONE, S_ZERO
  TEST_FS2 30, fdiv.s, S_QNAN, NV, S_ZERO, S_ZERO
  TEST_FS2 31, fdiv.s, S_QNAN, NV, S_INF, S_NINF
  TEST_FS2 32, fdiv.s, S_THREE, 0, 0x40c00000, S_TWO
  TEST_FS2 33, fdiv.s, S_NZERO, 0, S_ONE, S_NINF
  TEST_FS1 34, fsqrt.s, S_TWO, 0, 0x40800000
  TEST_FS1 35, fsqrt.s, 0x3fb504f3, NX, S_TWO
  TEST_FS1 36, fsqrt.s, 0x3fb504f4, NX, S_TWO, rup
  TEST_FS1 37, fsqrt.s, S_QNAN, NV, S_NONE
  TEST_FS1 38, fsqrt.s, S_NZERO, 0, S_NZERO                  /* sqrt(-0) = -0 */
  TEST_FS1 39, fsqrt.s, S_INF, 0, S_INF
  TEST_FS1 40, fsqrt.s, S_QNAN, NV, S_SNAN

  /* ---- fused multiply-add ---- */
  TEST_FS3 41, fmadd.s,  0x40e00000, 0, S_TWO, S_THREE, S_ONE   /*  2*3+1 =  7 */
  TEST_FS3 42, fmsub.s,  0x40a00000, 0, S_TWO, S_THREE, S_ONE   /*  2*3-1 =  5 */
  TEST_FS3 43, fnmsub.s, 0xc0a00000, 0, S_TWO, S_THREE, S_ONE   /* -2*3+1 = -5 */
  TEST_FS3 44, fnmadd.s, 0xc0e00000, 0, S_TWO, S_THREE, S_ONE   /* -2*3-1 = -7 */
  /* one rounding: (1+2^-23)^2 - (1+2^-22) = 2^-46 exactly */
  TEST_FS3 45, fmadd.s,  0x28800000, 0, 0x3f800001, 0x3f800001, 0xbf800002
  TEST_FS3 46, fmadd.s,  S_QNAN, NV, S_INF, S_ZERO, S_QNAN     /* inf*0 is invalid even + qNaN */
  TEST_FS3 47, fmadd.s,  S_QNAN, NV, S_ONE, S_ONE, S_SNAN
  TEST_FS3 48, fmadd.s,  S_QNAN, 0, S_ONE, S_ONE, S_QNAN
  TEST_FS3 49, fmadd.s,  S_ZERO, 0, S_ONE, S_ONE, S_NONE        /* exact zero sum: +0 */
  TEST_FS3 50, fmadd.s,  S_NZERO, 0, S_ONE, S_ONE, S_NONE, rdn  /* ... -0 rounding down */
  TEST_FS3 51, fnmadd.s, S_ZERO, 0, S_ONE, S_ONE, S_NONE        /* -(1*1) - (-1) = +0 */
  TEST_FS3 52, fmsub.s,  S_QNAN, NV, S_INF, S_ONE, S_INF        /* inf - inf */
  TEST_FS3 53, fmadd.s,  S_INF, OF|NX, S_MAX, S_TWO, S_NONE

  /* ---- FMIN / FMAX ---- */
  TEST_FS2N 54, fmin.s, S_ONE, 0, S_ONE, S_TWO
  TEST_FS2N 55, fmax.s, S_TWO, 0, S_ONE, S_TWO
  TEST_FS2N 56, fmin.s, S_NZERO, 0, S_NZERO, S_ZERO             /* -0 < +0 */
  TEST_FS2N 57, fmin.s, S_NZERO, 0, S_ZERO, S_NZERO
  TEST_FS2N 58, fmax.s, S_ZERO, 0, S_NZERO, S_ZERO
  TEST_FS2N 59, fmax.s, S_ZERO, 0, S_ZERO, S_NZERO
  TEST_FS2N 60, fmin.s, S_ONE, 0, S_QNAN, S_ONE                 /* one NaN: the number */
  TEST_FS2N 61, fmax.s, S_ONE, 0, S_ONE, 0x7fc12345
  TEST_FS2N 62, fmin.s, S_ONE, NV, S_SNAN, S_ONE                /* sNaN: number, but NV */
  TEST_FS2N 63, fmax.s, S_NONE, NV, S_NONE, S_SNAN
  TEST_FS2N 64, fmax.s, S_QNAN, 0, 0x7fc12345, 0xffc00001       /* both NaN: canonical */
  TEST_FS2N 65, fmin.s, S_QNAN, NV, S_SNAN, S_QNAN
  TEST_FS2N 66, fmin.s, S_NINF, 0, S_NINF, S_MAX
  TEST_FS2N 67, fmax.s, S_INF, 0, S_NINF, S_INF

  /* ---- sign injection: bit operations, no flags, NaN payload kept ---- */
  TEST_FS2N 68, fsgnj.s,  S_NONE, 0, S_ONE, 0xc0000000
  TEST_FS2N 69, fsgnj.s,  S_ONE, 0, S_NONE, S_TWO
  TEST_FS2N 70, fsgnjn.s, S_ONE, 0, S_ONE, 0xc0000000
  TEST_FS2N 71, fsgnjn.s, S_NONE, 0, S_ONE, S_TWO
  TEST_FS2N 72, fsgnjx.s, S_ONE, 0, S_NONE, 0xc0000000
  TEST_FS2N 73, fsgnjx.s, S_NONE, 0, S_NONE, S_TWO
  TEST_FS2N 74, fsgnjn.s, 0xff800001, 0, S_SNAN, S_SNAN
  TEST_FS2N 75, fsgnjx.s, 0xffc12345, 0, 0x7fc12345, S_NONE

  /* ---- compares: FEQ is quiet, FLT/FLE signal on any NaN ---- */
  TEST_FS_CMP 76, feq.s, 1, 0, S_ONE, S_ONE
  TEST_FS_CMP 77, feq.s, 0, 0, S_ONE, S_TWO
  TEST_FS_CMP 78, feq.s, 0, 0, S_QNAN, S_ONE
  TEST_FS_CMP 79, feq.s, 0, NV, S_SNAN, S_ONE
  TEST_FS_CMP 80, feq.s, 0, 0, S_QNAN, S_QNAN
  TEST_FS_CMP 81, feq.s, 1, 0, S_NZERO, S_ZERO
  TEST_FS_CMP 82, flt.s, 0, NV, S_QNAN, S_ONE
  TEST_FS_CMP 83, flt.s, 1, 0, S_ONE, S_TWO
  TEST_FS_CMP 84, flt.s, 0, 0, S_NZERO, S_ZERO
  TEST_FS_CMP 85, flt.s, 1, 0, S_NINF, 0xff7fffff
  TEST_FS_CMP 86, fle.s, 0, NV, S_ONE, S_QNAN
  TEST_FS_CMP 87, fle.s, 1, 0, S_NZERO, S_ZERO
  TEST_FS_CMP 88, fle.s, 0, 0, S_TWO, S_ONE
  TEST_FS_CMP 89, fle.s, 1, 0, S_INF, S_INF
  TEST_FS_CMP 90, flt.s, 0, NV, S_SNAN, S_SNAN

  /* ---- FCLASS: one bit per class ---- */
  TEST_FS_CLASS  91, 1 << 0, S_NINF
  TEST_FS_CLASS  92, 1 << 1, S_NONE
  TEST_FS_CLASS  93, 1 << 2, 0x807fffff                        /* negative subnormal */
  TEST_FS_CLASS  94, 1 << 3, S_NZERO
  TEST_FS_CLASS  95, 1 << 4, S_ZERO
  TEST_FS_CLASS  96, 1 << 5, S_MINSUB
  TEST_FS_CLASS  97, 1 << 6, S_MAX
  TEST_FS_CLASS  98, 1 << 7, S_INF
  TEST_FS_CLASS  99, 1 << 8, S_SNAN
  TEST_FS_CLASS 100, 1 << 9, S_QNAN
  TEST_FS_CLASS 101, 1 << 8, 0xffbfffff                        /* negative sNaN */
  TEST_FS_CLASS 102, 1 << 9, 0xffc00001                        /* negative qNaN */
  TEST_FS_CLASS 103, 1 << 6, S_MINNORM

  /* ---- moves and loads/stores ---- */
  TEST 104                          /* FMV.X.W sign-extends bit 31 */
  LOAD_S fa1, S_NONE
  fmv.x.w a0, fa1
  EXPECT a0, 0xffffffffbf800000
  TEST 105                          /* FMV.W.X takes the low 32 bits and NaN-boxes */
  li a1, 0x123456783f800000
  fmv.w.x fa1, a1
  fmv.x.d a0, fa1
  EXPECT a0, 0xffffffff3f800000
  TEST 106                          /* moves keep sNaN bits and raise nothing */
  fsflags zero
  li a1, S_SNAN
  fmv.w.x fa1, a1
  fmv.x.w a0, fa1
  frflags a5
  EXPECT a0, S_SNAN
  EXPECT a5, 0
  TEST 107                          /* FLW boxes, FSW stores 32 bits only */
  la a1, fbuf
  flw fa1, 0(a1)
  fmv.x.d a0, fa1
  EXPECT a0, 0xffffffff7f800001
  li a2, -1
  sd a2, 8(a1)
  fsw fa1, 8(a1)
  ld a0, 8(a1)
  EXPECT a0, 0xffffffff7f800001
  TEST 108
  flw fa2, 4(a1)
  fsw fa2, 12(a1)
  ld a0, 8(a1)
  EXPECT a0, 0x400000007f800001

  /* ---- NaN-boxing: upper half not all ones = canonical NaN input ---- */
  TEST 109
  LOAD_D fa1, 0x000000003f800000    /* "1.0f" but not boxed */
  LOAD_S fa2, S_ONE
  fsflags zero
  fadd.s fa0, fa1, fa2
  CHECK_S S_QNAN, 0
  TEST 110
  LOAD_D fa1, 0xfffffffe3f800000    /* one upper bit clear is enough */
  fsflags zero
  fmul.s fa0, fa2, fa1
  CHECK_S S_QNAN, 0
  TEST 111                          /* sign injection sees a positive canonical NaN... */
  LOAD_D fa1, 0x00000000bf800000
  LOAD_S fa2, S_NONE
  fsflags zero
  fsgnj.s fa0, fa1, fa2
  CHECK_S 0xffc00000, 0
  TEST 112                          /* ...also as the sign source */
  LOAD_S fa2, S_NONE
  fsgnj.s fa0, fa2, fa1
  CHECK_S S_ONE, 0
  TEST 113
  fclass.s a0, fa1
  EXPECT a0, 1 << 9
  TEST 114
  LOAD_S fa2, S_QNAN
  fsflags zero
  feq.s a0, fa1, fa2
  frflags a5
  EXPECT a0, 0
  EXPECT a5, 0
  TEST 115
  fmin.s fa0, fa1, fa2
  CHECK_S S_QNAN, 0
  TEST 116                          /* transfers out ignore the upper half */
  LOAD_D fa1, 0x12345678bf800000
  fmv.x.w a0, fa1
  EXPECT a0, 0xffffffffbf800000
  la a1, fbuf
  sd zero, 16(a1)
  fsw fa1, 16(a1)
  ld a0, 16(a1)
  EXPECT a0, 0xbf800000
  TEST 117                          /* FLW of a double-width garbage slot re-boxes */
  flw fa1, 16(a1)
  fmv.x.d a0, fa1
  EXPECT a0, 0xffffffffbf800000
TEST_END

  .data
  .align 4
fbuf:
  .word 0x7f800001, 0x40000000
  .zero 24

/*
 * Floating-point check macros for the F/D tests.  Operands and results
 * are IEEE bit patterns; every check also compares the exact fflags the
 * operation raised (fflags is cleared first).  Single-precision results
 * must be NaN-boxed (upper 32 bits of the f register all ones).
 * Operands: fa1, fa2, fa3 (a1..a3 for integers); result fa0 / a0;
 * fflags read into a5; a4 and t6 are scratch.  rm defaults to dyn
 * (frm, which is 0 = RNE after TEST_BEGIN).
 */
#ifndef DOMUS_ISA_FP_H
#define DOMUS_ISA_FP_H

/* single bit patterns */
#define S_ZERO   0x00000000
#define S_NZERO  0x80000000
#define S_ONE    0x3f800000
#define S_NONE   0xbf800000
#define S_TWO    0x40000000
#define S_THREE  0x40400000
#define S_HALF   0x3f000000
#define S_INF    0x7f800000
#define S_NINF   0xff800000
#define S_QNAN   0x7fc00000                 /* canonical NaN */
#define S_SNAN   0x7f800001
#define S_MAX    0x7f7fffff
#define S_MINNORM 0x00800000
#define S_MINSUB 0x00000001

/* double bit patterns */
#define D_ZERO   0x0000000000000000
#define D_NZERO  0x8000000000000000
#define D_ONE    0x3ff0000000000000
#define D_NONE   0xbff0000000000000
#define D_TWO    0x4000000000000000
#define D_THREE  0x4008000000000000
#define D_HALF   0x3fe0000000000000
#define D_INF    0x7ff0000000000000
#define D_NINF   0xfff0000000000000
#define D_QNAN   0x7ff8000000000000         /* canonical NaN */
#define D_SNAN   0x7ff0000000000001
#define D_MAX    0x7fefffffffffffff
#define D_MINNORM 0x0010000000000000
#define D_MINSUB 0x0000000000000001

.macro LOAD_S freg, bits
  li t6, \bits
  fmv.w.x \freg, t6
.endm

.macro LOAD_D freg, bits
  li t6, \bits
  fmv.d.x \freg, t6
.endm

/* fa0 holds a boxed single equal to `bits`; fflags == flags */
.macro CHECK_S bits, flags
  frflags a5
  fmv.x.w a0, fa0
  EXPECTW a0, \bits
  fmv.x.d a4, fa0
  srli a4, a4, 32
  EXPECT a4, 0xffffffff
  EXPECT a5, \flags
.endm

.macro CHECK_D bits, flags
  frflags a5
  fmv.x.d a0, fa0
  EXPECT a0, \bits
  EXPECT a5, \flags
.endm

/* ---- single ---- */
.macro TEST_FS1 n, op, res, flags, a, rm=dyn
  TEST \n
  LOAD_S fa1, \a
  fsflags zero
  \op fa0, fa1, \rm
  CHECK_S \res, \flags
.endm

.macro TEST_FS2 n, op, res, flags, a, b, rm=dyn
  TEST \n
  LOAD_S fa1, \a
  LOAD_S fa2, \b
  fsflags zero
  \op fa0, fa1, fa2, \rm
  CHECK_S \res, \flags
.endm

/* no rounding-mode operand (min/max/sign injection) */
.macro TEST_FS2N n, op, res, flags, a, b
  TEST \n
  LOAD_S fa1, \a
  LOAD_S fa2, \b
  fsflags zero
  \op fa0, fa1, fa2
  CHECK_S \res, \flags
.endm

.macro TEST_FS3 n, op, res, flags, a, b, c, rm=dyn
  TEST \n
  LOAD_S fa1, \a
  LOAD_S fa2, \b
  LOAD_S fa3, \c
  fsflags zero
  \op fa0, fa1, fa2, fa3, \rm
  CHECK_S \res, \flags
.endm

/* compare: integer result */
.macro TEST_FS_CMP n, op, res, flags, a, b
  TEST \n
  LOAD_S fa1, \a
  LOAD_S fa2, \b
  fsflags zero
  \op a0, fa1, fa2
  frflags a5
  EXPECT a0, \res
  EXPECT a5, \flags
.endm

.macro TEST_FS_CLASS n, res, a
  TEST \n
  LOAD_S fa1, \a
  fsflags zero
  fclass.s a0, fa1
  frflags a5
  EXPECT a0, \res
  EXPECT a5, 0
.endm

/* ---- double ---- */
.macro TEST_FD1 n, op, res, flags, a, rm=dyn
  TEST \n
  LOAD_D fa1, \a
  fsflags zero
  \op fa0, fa1, \rm
  CHECK_D \res, \flags
.endm

.macro TEST_FD2 n, op, res, flags, a, b, rm=dyn
  TEST \n
  LOAD_D fa1, \a
  LOAD_D fa2, \b
  fsflags zero
  \op fa0, fa1, fa2, \rm
  CHECK_D \res, \flags
.endm

.macro TEST_FD2N n, op, res, flags, a, b
  TEST \n
  LOAD_D fa1, \a
  LOAD_D fa2, \b
  fsflags zero
  \op fa0, fa1, fa2
  CHECK_D \res, \flags
.endm

.macro TEST_FD3 n, op, res, flags, a, b, c, rm=dyn
  TEST \n
  LOAD_D fa1, \a
  LOAD_D fa2, \b
  LOAD_D fa3, \c
  fsflags zero
  \op fa0, fa1, fa2, fa3, \rm
  CHECK_D \res, \flags
.endm

.macro TEST_FD_CMP n, op, res, flags, a, b
  TEST \n
  LOAD_D fa1, \a
  LOAD_D fa2, \b
  fsflags zero
  \op a0, fa1, fa2
  frflags a5
  EXPECT a0, \res
  EXPECT a5, \flags
.endm

.macro TEST_FD_CLASS n, res, a
  TEST \n
  LOAD_D fa1, \a
  fsflags zero
  fclass.d a0, fa1
  frflags a5
  EXPECT a0, \res
  EXPECT a5, 0
.endm

/* ---- conversions ---- */
/* float (bits, single) -> integer register */
.macro TEST_CVT_FS_I n, op, res, flags, a, rm=dyn
  TEST \n
  LOAD_S fa1, \a
  fsflags zero
  \op a0, fa1, \rm
  frflags a5
  EXPECT a0, \res
  EXPECT a5, \flags
.endm

.macro TEST_CVT_FD_I n, op, res, flags, a, rm=dyn
  TEST \n
  LOAD_D fa1, \a
  fsflags zero
  \op a0, fa1, \rm
  frflags a5
  EXPECT a0, \res
  EXPECT a5, \flags
.endm

/* integer -> single / double */
.macro TEST_CVT_I_FS n, op, res, flags, a, rm=dyn
  TEST \n
  li a1, \a
  fsflags zero
  \op fa0, a1, \rm
  CHECK_S \res, \flags
.endm

.macro TEST_CVT_I_FD n, op, res, flags, a, rm=dyn
  TEST \n
  li a1, \a
  fsflags zero
  \op fa0, a1, \rm
  CHECK_D \res, \flags
.endm

/* exact integer -> double conversions have no rounding-mode operand */
.macro TEST_CVT_I_FD_EXACT n, op, res, a
  TEST \n
  li a1, \a
  fsflags zero
  \op fa0, a1
  CHECK_D \res, 0
.endm

/* double -> single (fcvt.s.d) */
.macro TEST_CVT_S_D n, res, flags, a, rm=dyn
  TEST \n
  LOAD_D fa1, \a
  fsflags zero
  fcvt.s.d fa0, fa1, \rm
  CHECK_S \res, \flags
.endm

/* single -> double (fcvt.d.s, always exact) */
.macro TEST_CVT_D_S n, res, flags, a
  TEST \n
  LOAD_S fa1, \a
  fsflags zero
  fcvt.d.s fa0, fa1
  CHECK_D \res, \flags
.endm

#endif

/*
 * Floating-point conversions: FCVT between W/WU/L/LU and S/D in both
 * directions and S<->D, under all five static rounding modes (ties: even
 * vs away), out-of-range inputs saturating with NV (and no NX), NaN
 * inputs (-> the largest integer), -0 and tiny negatives for unsigned
 * targets, 32-bit results sign-extended on RV64, upper input bits of *.W
 * sources ignored, S<->D with overflow/underflow and NaN canonicalisation,
 * dynamic rounding from frm, and invalid rounding modes (static 5/6, or
 * frm 5..7 with dyn) being illegal.
 */
#include "test.h"
#include "fp.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define NV FFLAG_NV
#define S_1_5   0x3fc00000
#define S_N1_5  0xbfc00000
#define S_2_5   0x40200000
#define S_N2_5  0xc0200000
#define S_N0_5  0xbf000000
#define S_3E9   0x4f32d05e
#define S_N3E9  0xcf32d05e
#define S_2P31  0x4f000000
#define S_2P32  0x4f800000
#define S_2P63  0x5f000000
#define S_2P64  0x5f800000
#define I32MIN  0xffffffff80000000
#define I32MAX  0x7fffffff
#define I64MIN  0x8000000000000000
#define I64MAX  0x7fffffffffffffff
#define ALL1    0xffffffffffffffff

TEST_BEGIN
  /* ---- FCVT.W.S: rounding modes ---- */
  TEST_CVT_FS_I  1, fcvt.w.s, 2, NX, S_1_5, rne
  TEST_CVT_FS_I  2, fcvt.w.s, 1, NX, S_1_5, rtz
  TEST_CVT_FS_I  3, fcvt.w.s, 1, NX, S_1_5, rdn
  TEST_CVT_FS_I  4, fcvt.w.s, 2, NX, S_1_5, rup
  TEST_CVT_FS_I  5, fcvt.w.s, 2, NX, S_1_5, rmm
  TEST_CVT_FS_I  6, fcvt.w.s, -2, NX, S_N1_5, rne
  TEST_CVT_FS_I  7, fcvt.w.s, -1, NX, S_N1_5, rtz
  TEST_CVT_FS_I  8, fcvt.w.s, -2, NX, S_N1_5, rdn
  TEST_CVT_FS_I  9, fcvt.w.s, -1, NX, S_N1_5, rup
  TEST_CVT_FS_I 10, fcvt.w.s, -2, NX, S_N1_5, rmm
  TEST_CVT_FS_I 11, fcvt.w.s, 2, NX, S_2_5, rne          /* tie to even */
  TEST_CVT_FS_I 12, fcvt.w.s, 3, NX, S_2_5, rmm          /* tie away */
  TEST_CVT_FS_I 13, fcvt.w.s, -2, NX, S_N2_5, rne
  TEST_CVT_FS_I 14, fcvt.w.s, -3, NX, S_N2_5, rmm
  /* ---- FCVT.W.S: range, NaN, infinities ---- */
  TEST_CVT_FS_I 15, fcvt.w.s, I32MAX, NV, S_3E9, rtz
  TEST_CVT_FS_I 16, fcvt.w.s, I32MIN, NV, S_N3E9, rtz
  TEST_CVT_FS_I 17, fcvt.w.s, I32MAX, NV, S_QNAN
  TEST_CVT_FS_I 18, fcvt.w.s, I32MAX, NV, 0xffc00000     /* negative NaN too */
  TEST_CVT_FS_I 19, fcvt.w.s, I32MAX, NV, S_INF
  TEST_CVT_FS_I 20, fcvt.w.s, I32MIN, NV, S_NINF
  TEST_CVT_FS_I 21, fcvt.w.s, I32MAX, NV, S_2P31         /* 2^31: just out of range */
  TEST_CVT_FS_I 22, fcvt.w.s, I32MIN, 0, 0xcf000000      /* -2^31: exact */
  TEST_CVT_FS_I 23, fcvt.w.s, 0, 0, S_NZERO
  TEST_CVT_FS_I 24, fcvt.w.s, 1, NX, S_HALF, rup
  TEST_CVT_FS_I 25, fcvt.w.s, 0x7fffff80, 0, 0x4effffff
  /* ---- FCVT.WU.S ---- */
  TEST_CVT_FS_I 26, fcvt.wu.s, 0xffffffffb2d05e00, 0, S_3E9 /* sign-extended result */
  TEST_CVT_FS_I 27, fcvt.wu.s, 0, NV, S_NONE
  TEST_CVT_FS_I 28, fcvt.wu.s, 0, NX, S_N0_5, rtz        /* rounds to -0: in range */
  TEST_CVT_FS_I 29, fcvt.wu.s, 0, NV, S_N0_5, rdn        /* rounds to -1: invalid */
  TEST_CVT_FS_I 30, fcvt.wu.s, 0, NX, S_N0_5, rne
  TEST_CVT_FS_I 31, fcvt.wu.s, ALL1, NV, S_QNAN
  TEST_CVT_FS_I 32, fcvt.wu.s, ALL1, NV, S_INF
  TEST_CVT_FS_I 33, fcvt.wu.s, 0, NV, S_NINF
  TEST_CVT_FS_I 34, fcvt.wu.s, ALL1, NV, S_2P32
  TEST_CVT_FS_I 35, fcvt.wu.s, 0xffffffffffffff00, 0, 0x4f7fffff
  /* ---- FCVT.L.S / FCVT.LU.S ---- */
  TEST_CVT_FS_I 36, fcvt.l.s, I64MAX, NV, S_2P63
  TEST_CVT_FS_I 37, fcvt.l.s, I64MIN, 0, 0xdf000000
  TEST_CVT_FS_I 38, fcvt.l.s, I64MAX, NV, S_QNAN
  TEST_CVT_FS_I 39, fcvt.l.s, I64MIN, NV, S_NINF
  TEST_CVT_FS_I 40, fcvt.l.s, 2, NX, S_1_5, rup
  TEST_CVT_FS_I 41, fcvt.l.s, -1, NX, S_N1_5, rtz
  TEST_CVT_FS_I 42, fcvt.l.s, 0x7fffff8000000000, 0, 0x5effffff
  TEST_CVT_FS_I 43, fcvt.lu.s, 0, NV, S_NONE
  TEST_CVT_FS_I 44, fcvt.lu.s, ALL1, NV, S_2P64
  TEST_CVT_FS_I 45, fcvt.lu.s, 0x8000000000000000, 0, S_2P63
  TEST_CVT_FS_I 46, fcvt.lu.s, ALL1, NV, S_SNAN
  TEST_CVT_FS_I 47, fcvt.lu.s, 0, NX, 0xbf666666, rtz   /* -0.9 */
  TEST_CVT_FS_I 48, fcvt.lu.s, ALL1, NV, S_INF

  /* ---- FCVT.W.D / FCVT.WU.D ---- */
  TEST_CVT_FD_I 49, fcvt.w.d, I32MAX, NX, 0x41dfffffffe00000, rtz  /* 2^31 - 0.5 */
  TEST_CVT_FD_I 50, fcvt.w.d, I32MAX, NV, 0x41dfffffffe00000, rne  /* rounds to 2^31 */
  TEST_CVT_FD_I 51, fcvt.w.d, I32MAX, NX, 0x41dfffffffe00000, rdn
  TEST_CVT_FD_I 52, fcvt.w.d, I32MIN, NX, 0xc1e0000000100000, rtz  /* -2^31 - 0.5 */
  TEST_CVT_FD_I 53, fcvt.w.d, I32MIN, NV, 0xc1e0000000100000, rdn  /* rounds to -2^31-1 */
  TEST_CVT_FD_I 54, fcvt.w.d, I32MIN, NX, 0xc1e0000000100000, rne  /* tie to even -2^31 */
  TEST_CVT_FD_I 55, fcvt.w.d, I32MAX, NV, D_QNAN
  TEST_CVT_FD_I 56, fcvt.w.d, I32MAX, NV, D_SNAN
  TEST_CVT_FD_I 57, fcvt.w.d, I32MAX, NV, 0x4202a05f20000000       /* 1e10 */
  TEST_CVT_FD_I 58, fcvt.wu.d, ALL1, 0, 0x41efffffffe00000         /* 2^32 - 1 */
  TEST_CVT_FD_I 59, fcvt.wu.d, ALL1, NV, 0x41f0000000000000        /* 2^32 */
  TEST_CVT_FD_I 60, fcvt.wu.d, 0, 0, D_NZERO
  TEST_CVT_FD_I 61, fcvt.wu.d, 0, NX, 0x8000000000000001, rtz      /* tiny negative */
  TEST_CVT_FD_I 62, fcvt.wu.d, 0, NV, 0x8000000000000001, rdn
  TEST_CVT_FD_I 63, fcvt.wu.d, ALL1, NX, 0x41effffffff00000, rtz   /* 2^32 - 0.5 */
  TEST_CVT_FD_I 64, fcvt.wu.d, ALL1, NV, 0x41effffffff00000, rup
  /* ---- FCVT.L.D / FCVT.LU.D ---- */
  TEST_CVT_FD_I 65, fcvt.l.d, I64MAX, NV, 0x43e0000000000000       /* 2^63 */
  TEST_CVT_FD_I 66, fcvt.l.d, I64MIN, 0, 0xc3e0000000000000
  TEST_CVT_FD_I 67, fcvt.l.d, 0x7ffffffffffffc00, 0, 0x43dfffffffffffff
  TEST_CVT_FD_I 68, fcvt.l.d, I64MAX, NV, D_QNAN
  TEST_CVT_FD_I 69, fcvt.l.d, I64MIN, NV, D_NINF
  TEST_CVT_FD_I 70, fcvt.l.d, -3, NX, 0xc004000000000000, rmm      /* -2.5 */
  TEST_CVT_FD_I 71, fcvt.l.d, -2, NX, 0xc004000000000000, rup
  TEST_CVT_FD_I 72, fcvt.lu.d, ALL1, NV, 0x43f0000000000000        /* 2^64 */
  TEST_CVT_FD_I 73, fcvt.lu.d, 0, NV, D_NONE
  TEST_CVT_FD_I 74, fcvt.lu.d, 0xfffffffffffff800, 0, 0x43efffffffffffff
  TEST_CVT_FD_I 75, fcvt.lu.d, ALL1, NV, D_QNAN
  TEST_CVT_FD_I 76, fcvt.lu.d, 0, NV, D_NINF
  TEST_CVT_FD_I 77, fcvt.lu.d, 1, NX, D_HALF, rmm

  /* ---- integer -> single ---- */
  TEST_CVT_I_FS 78, fcvt.s.w, S_NONE, 0, -1
  TEST_CVT_I_FS 79, fcvt.s.w, S_2P31, NX, 0x7fffffff, rne
  TEST_CVT_I_FS 80, fcvt.s.w, 0x4effffff, NX, 0x7fffffff, rtz
  TEST_CVT_I_FS 81, fcvt.s.w, 0xcf000000, 0, I32MIN
  TEST_CVT_I_FS 82, fcvt.s.w, S_ONE, 0, 0x100000001              /* upper bits ignored */
  TEST_CVT_I_FS 83, fcvt.s.w, S_ZERO, 0, 0
  TEST_CVT_I_FS 84, fcvt.s.w, 0x4b800000, NX, 16777217, rne      /* 2^24 + 1 */
  TEST_CVT_I_FS 85, fcvt.s.w, 0x4b800001, NX, 16777217, rup
  TEST_CVT_I_FS 86, fcvt.s.wu, S_2P32, NX, 0xffffffff, rne
  TEST_CVT_I_FS 87, fcvt.s.wu, 0x4f7fffff, NX, 0xffffffff, rtz
  TEST_CVT_I_FS 88, fcvt.s.wu, S_TWO, 0, 0xffffffff00000002
  TEST_CVT_I_FS 89, fcvt.s.l, 0xdf000000, 0, I64MIN
  TEST_CVT_I_FS 90, fcvt.s.l, S_2P63, NX, I64MAX, rne
  TEST_CVT_I_FS 91, fcvt.s.l, 0x5effffff, NX, I64MAX, rdn
  TEST_CVT_I_FS 92, fcvt.s.l, S_NONE, 0, -1
  TEST_CVT_I_FS 93, fcvt.s.lu, S_2P64, NX, ALL1, rne
  TEST_CVT_I_FS 94, fcvt.s.lu, 0x5f7fffff, NX, ALL1, rtz
  TEST_CVT_I_FS 95, fcvt.s.lu, S_2P63, 0, 0x8000000000000000

  /* ---- integer -> double ---- */
  TEST_CVT_I_FD_EXACT 96, fcvt.d.w, 0xc1e0000000000000, I32MIN
  TEST_CVT_I_FD_EXACT 97, fcvt.d.w, 0x41dfffffffc00000, 0x17fffffff   /* upper ignored */
  TEST_CVT_I_FD_EXACT 98, fcvt.d.w, D_NONE, -1
  TEST_CVT_I_FD_EXACT 99, fcvt.d.wu, 0x41efffffffe00000, 0xffffffff
  TEST_CVT_I_FD_EXACT 100, fcvt.d.wu, 0x41e0000000000000, 0xffffffff80000000
  TEST_CVT_I_FD 101, fcvt.d.l, 0x4340000000000000, NX, 0x20000000000001, rne  /* 2^53+1 */
  TEST_CVT_I_FD 102, fcvt.d.l, 0x4340000000000001, NX, 0x20000000000001, rup
  TEST_CVT_I_FD 103, fcvt.d.l, 0xc3e0000000000000, 0, I64MIN
  TEST_CVT_I_FD 104, fcvt.d.l, 0x43dfffffffffffff, NX, I64MAX, rtz
  TEST_CVT_I_FD 105, fcvt.d.lu, 0x43f0000000000000, NX, ALL1, rne
  TEST_CVT_I_FD 106, fcvt.d.lu, 0x43efffffffffffff, NX, ALL1, rtz
  TEST_CVT_I_FD 107, fcvt.d.lu, D_ZERO, 0, 0

  /* ---- double <-> single ---- */
  TEST_CVT_S_D 108, 0x3eaaaaab, NX, 0x3fd5555555555555, rne
  TEST_CVT_S_D 109, 0x3eaaaaaa, NX, 0x3fd5555555555555, rtz
  TEST_CVT_S_D 110, S_INF, OF|NX, 0x7e37e43c8800759c, rne         /* 1e300 */
  TEST_CVT_S_D 111, S_MAX, OF|NX, 0x7e37e43c8800759c, rtz
  TEST_CVT_S_D 112, S_NINF, OF|NX, 0xfe37e43c8800759c, rdn
  TEST_CVT_S_D 113, S_ZERO, UF|NX, 0x01a56e1fc2f8f359, rne        /* 1e-300 */
  TEST_CVT_S_D 114, S_MINSUB, UF|NX, 0x01a56e1fc2f8f359, rup
  TEST_CVT_S_D 115, S_QNAN, NV, D_SNAN
  TEST_CVT_S_D 116, S_QNAN, 0, 0x7ff8000000000123                  /* payload dropped */
  TEST_CVT_S_D 117, S_NINF, 0, D_NINF
  TEST_CVT_S_D 118, S_NZERO, 0, D_NZERO
  TEST_CVT_S_D 119, S_MINSUB, 0, 0x36a0000000000000                /* 2^-149: exact, no UF */
  TEST_CVT_D_S 120, D_ONE, 0, S_ONE
  TEST_CVT_D_S 121, D_QNAN, NV, S_SNAN
  TEST_CVT_D_S 122, 0x36a0000000000000, 0, S_MINSUB
  TEST_CVT_D_S 123, D_NINF, 0, S_NINF
  TEST_CVT_D_S 124, D_QNAN, 0, 0x7fc12345
  TEST 125                            /* non-boxed single input: canonical NaN */
  LOAD_D fa1, 0x000000003f800000
  fsflags zero
  fcvt.d.s fa0, fa1
  CHECK_D D_QNAN, 0

  /* ---- dynamic rounding mode from frm ---- */
  TEST 126
  fsrmi RM_RTZ
  LOAD_S fa1, S_1_5
  fcvt.w.s a0, fa1
  EXPECT a0, 1
  TEST 127
  fsrmi RM_RUP
  fcvt.w.s a0, fa1
  EXPECT a0, 2
  TEST 128
  fsrmi RM_RDN
  LOAD_S fa1, S_N1_5
  fcvt.l.s a0, fa1, dyn
  EXPECT a0, -2
  TEST 129
  fsrmi RM_RMM
  LOAD_D fa1, 0xc004000000000000
  fcvt.w.d a0, fa1
  EXPECT a0, -3
  TEST 130                            /* a static mode overrides frm */
  fcvt.w.d a0, fa1, rne
  EXPECT a0, -2
  fsrmi RM_RNE

  /* ---- invalid rounding modes ---- */
  TEST 131
  TRAP_ILLEGAL .word 0x00c5d553       /* fadd.s fa0, fa1, fa2 with rm = 5 */
  TEST 132
  TRAP_ILLEGAL .word 0x00c5e553       /* rm = 6 */
  TEST 133
  fsrmi 5
  TRAP_ILLEGAL fadd.s fa0, fa1, fa2   /* dyn with frm = 5 */
  TEST 134
  fsrmi 7
  TRAP_ILLEGAL fcvt.w.s a0, fa1, dyn
  TEST 135                            /* static modes and non-rounding ops still work */
  LOAD_S fa1, S_ONE
  LOAD_S fa2, S_TWO
  fadd.s fa0, fa1, fa2, rne
  fmv.x.w a0, fa0
  EXPECT a0, S_THREE
  fsgnjn.s fa0, fa1, fa1
  fmv.x.w a0, fa0
  EXPECTW a0, S_NONE
  fsrmi RM_RNE
  /* ---- one input under all five modes, int -> float and float -> float ---- */
  TEST_CVT_I_FS 136, fcvt.s.w, 0x4b800002, NX, 16777219, rne   /* 2^24 + 3: a tie */
  TEST_CVT_I_FS 137, fcvt.s.w, 0x4b800001, NX, 16777219, rtz
  TEST_CVT_I_FS 138, fcvt.s.w, 0x4b800001, NX, 16777219, rdn
  TEST_CVT_I_FS 139, fcvt.s.w, 0x4b800002, NX, 16777219, rup
  TEST_CVT_I_FS 140, fcvt.s.w, 0x4b800002, NX, 16777219, rmm
  TEST_CVT_I_FS 141, fcvt.s.l, 0xcb800002, NX, -16777219, rne
  TEST_CVT_I_FS 142, fcvt.s.l, 0xcb800001, NX, -16777219, rtz
  TEST_CVT_I_FS 143, fcvt.s.l, 0xcb800002, NX, -16777219, rdn
  TEST_CVT_I_FS 144, fcvt.s.l, 0xcb800001, NX, -16777219, rup
  TEST_CVT_I_FS 145, fcvt.s.l, 0xcb800002, NX, -16777219, rmm
  TEST_CVT_I_FD 146, fcvt.d.l, 0x4340000000000000, NX, 0x20000000000001, rtz
  TEST_CVT_I_FD 147, fcvt.d.l, 0x4340000000000000, NX, 0x20000000000001, rdn
  TEST_CVT_I_FD 148, fcvt.d.l, 0x4340000000000001, NX, 0x20000000000001, rmm
  TEST_CVT_I_FD 149, fcvt.d.lu, 0x4340000000000002, NX, 0x20000000000003, rne  /* tie, to even */
  TEST_CVT_I_FD 150, fcvt.d.lu, 0x4340000000000001, NX, 0x20000000000003, rdn
  TEST_CVT_S_D 151, 0x3eaaaaaa, NX, 0x3fd5555555555555, rdn
  TEST_CVT_S_D 152, 0x3eaaaaab, NX, 0x3fd5555555555555, rup
  TEST_CVT_S_D 153, 0x3eaaaaab, NX, 0x3fd5555555555555, rmm
  TEST_CVT_S_D 154, 0xbeaaaaab, NX, 0xbfd5555555555555, rdn
  TEST_CVT_S_D 155, 0xbeaaaaaa, NX, 0xbfd5555555555555, rup
  TEST_CVT_FD_I 156, fcvt.l.d, -2, NX, 0xc004000000000000, rne
  TEST_CVT_FD_I 157, fcvt.l.d, -2, NX, 0xc004000000000000, rtz
  TEST_CVT_FD_I 158, fcvt.l.d, -3, NX, 0xc004000000000000, rdn
  TEST_CVT_FS_I 159, fcvt.lu.s, 2, NX, S_2_5, rne
  TEST_CVT_FD_I 160, fcvt.wu.d, 3, NX, 0x4004000000000000, rup   /* 2.5 */
  TEST_CVT_FD_I 161, fcvt.wu.d, 2, NX, 0x4004000000000000, rdn
  TEST_CVT_FS_I 162, fcvt.lu.s, 3, NX, S_2_5, rmm
  TEST_CVT_FS_I 163, fcvt.lu.s, 2, NX, S_2_5, rtz
TEST_END

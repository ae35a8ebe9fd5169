/*
 * Floating-point state: the fcsr/frm/fflags CSRs and how they alias,
 * fflags accrual (NX, UF, OF, DZ, NV; never cleared by later operations),
 * dynamic rounding through frm in all five modes, and mstatus.FS: with
 * FS = Off every FP instruction and FP CSR access is illegal (in M, S and
 * U), registers survive being switched off, any FP state write makes FS
 * Dirty, and mstatus.SD / sstatus.SD summarise FS == Dirty.
 */
#include "test.h"
#include "fp.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define DZ FFLAG_DZ
#define NV FFLAG_NV

/* set mstatus.FS to `fs` (0 Off, 1 Initial, 2 Clean, 3 Dirty) */
.macro SET_FS fs
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, (\fs) << 13
  csrs mstatus, t0
.endm

/* a0 = mstatus.FS */
.macro GET_FS
  csrr a0, mstatus
  srli a0, a0, 13
  andi a0, a0, 3
.endm

/* 1/3 in single precision with the dynamic rounding mode */
.macro DIV_DYN n, rm, res, num
  TEST \n
  fsrmi \rm
  LOAD_S fa1, \num
  LOAD_S fa2, S_THREE
  fdiv.s fa0, fa1, fa2
  fmv.x.w a0, fa0
  EXPECTW a0, \res
.endm

TEST_BEGIN
  /* ---- fcsr = frm << 5 | fflags ---- */
  TEST 1
  li a1, 0xff
  csrw fcsr, a1
  csrr a0, fcsr
  EXPECT a0, 0xff
  csrr a0, frm
  EXPECT a0, 7
  csrr a0, fflags
  EXPECT a0, 0x1f
  TEST 2                            /* bits above 7 read as zero */
  li a1, -1
  csrw fcsr, a1
  csrr a0, fcsr
  EXPECT a0, 0xff
  TEST 3                            /* fflags writes leave frm alone */
  csrwi fcsr, 0
  fsrmi RM_RUP
  li a1, 0xe5
  csrw fflags, a1
  csrr a0, fcsr
  EXPECT a0, (RM_RUP << 5) | 0x05
  TEST 4                            /* frm writes leave fflags alone */
  li a1, 0xfa
  csrw frm, a1
  csrr a0, fcsr
  EXPECT a0, (2 << 5) | 0x05
  TEST 5                            /* swap forms return the old value */
  li a1, NV
  fsflags a0, a1
  EXPECT a0, 0x05
  fsrm a0, zero
  EXPECT a0, 2
  frcsr a0
  EXPECT a0, NV
  TEST 6
  csrsi fflags, DZ
  csrci fflags, NV
  frflags a0
  EXPECT a0, DZ
  fscsr a0, zero
  EXPECT a0, DZ
  frcsr a0
  EXPECT a0, 0

  /* ---- fflags accrue ---- */
  TEST 7
  LOAD_S fa1, S_ONE
  LOAD_S fa2, S_THREE
  fdiv.s fa0, fa1, fa2              /* NX */
  LOAD_S fa2, S_ZERO
  fdiv.s fa0, fa1, fa2              /* DZ */
  frflags a0
  EXPECT a0, NX|DZ
  TEST 8                            /* exact and non-arithmetic ops keep the flags */
  fadd.s fa0, fa1, fa1
  fsgnj.s fa0, fa1, fa1
  fmv.x.w a1, fa1
  fclass.s a1, fa1
  feq.s a1, fa1, fa1
  frflags a0
  EXPECT a0, NX|DZ
  TEST 9
  LOAD_S fa1, S_NONE
  fsqrt.s fa0, fa1                  /* NV */
  frflags a0
  EXPECT a0, NX|DZ|NV
  TEST 10
  fsflags zero
  LOAD_S fa1, S_MAX
  fadd.s fa0, fa1, fa1              /* OF (and NX) */
  frflags a0
  EXPECT a0, OF|NX
  TEST 11
  fsflags zero
  LOAD_D fa1, D_MINSUB
  LOAD_D fa2, D_HALF
  fmul.d fa0, fa1, fa2              /* UF (and NX) */
  frflags a0
  EXPECT a0, UF|NX
  TEST 12                           /* all five, visible through fcsr too */
  LOAD_D fa1, D_ONE
  LOAD_D fa2, D_ZERO
  fdiv.d fa0, fa1, fa2
  fdiv.d fa0, fa2, fa2
  LOAD_D fa1, D_MAX
  fmul.d fa0, fa1, fa1
  frcsr a0
  EXPECT a0, 0x1f
  fsflags zero

  /* ---- dynamic rounding via frm ---- */
  DIV_DYN 13, RM_RNE, 0x3eaaaaab, S_ONE
  DIV_DYN 14, RM_RTZ, 0x3eaaaaaa, S_ONE
  DIV_DYN 15, RM_RDN, 0x3eaaaaaa, S_ONE
  DIV_DYN 16, RM_RUP, 0x3eaaaaab, S_ONE
  DIV_DYN 17, RM_RMM, 0x3eaaaaab, S_ONE
  DIV_DYN 18, RM_RDN, 0xbeaaaaab, S_NONE
  DIV_DYN 19, RM_RUP, 0xbeaaaaaa, S_NONE
  DIV_DYN 20, RM_RTZ, 0xbeaaaaaa, S_NONE
  TEST 21                           /* RMM vs RNE on an exact tie */
  fsrmi RM_RMM
  LOAD_S fa1, S_ONE
  LOAD_S fa2, 0x33800000
  fadd.s fa0, fa1, fa2
  fmv.x.w a0, fa0
  EXPECT a0, 0x3f800001
  fsrmi RM_RNE
  fadd.s fa0, fa1, fa2
  fmv.x.w a0, fa0
  EXPECT a0, 0x3f800000

  /* ---- mstatus.FS ---- */
  TEST 22                           /* Initial -> Dirty on a register write */
  SET_FS 1
  li a1, S_TWO
  fmv.w.x fa1, a1
  GET_FS
  EXPECT a0, 3
  TEST 23                           /* SD mirrors Dirty, in mstatus and sstatus */
  csrr a0, mstatus
  srli a0, a0, 63
  EXPECT a0, 1
  csrr a0, sstatus
  srli a0, a0, 63
  EXPECT a0, 1
  TEST 24                           /* Clean -> Dirty on an arithmetic result */
  SET_FS 2
  csrr a0, mstatus
  srli a0, a0, 63
  EXPECT a0, 0
  fadd.s fa2, fa1, fa1
  GET_FS
  EXPECT a0, 3
  TEST 25                           /* Clean -> Dirty on a load */
  SET_FS 2
  la a1, fpbuf
  fld fa3, 0(a1)
  GET_FS
  EXPECT a0, 3
  TEST 26                           /* Clean -> Dirty on an fflags write */
  SET_FS 2
  csrwi fflags, NX
  GET_FS
  EXPECT a0, 3

  /* FS = Off: every FP instruction and FP CSR is illegal */
  LOAD_D fs1, 0x0123456789abcdef
  SET_FS 0
  TEST 27
  GET_FS
  EXPECT a0, 0
  csrr a0, mstatus
  srli a0, a0, 63
  EXPECT a0, 0
  TEST 28
  TRAP_ILLEGAL fadd.s fa0, fa1, fa2
  TEST 29
  TRAP_ILLEGAL fadd.d fa0, fa1, fa2
  TEST 30
  la a1, fpbuf
  TRAP_ILLEGAL flw fa0, 0(a1)
  TEST 31
  TRAP_ILLEGAL fsd fs1, 0(a1)
  TEST 32
  TRAP_ILLEGAL fmv.x.w a0, fa1
  TEST 33
  TRAP_ILLEGAL fmv.d.x fa1, a0
  TEST 34
  TRAP_ILLEGAL fcvt.w.s a0, fa1
  TEST 35
  TRAP_ILLEGAL fmadd.d fa0, fa1, fa2, fa3
  TEST 36
  TRAP_ILLEGAL feq.d a0, fa1, fa2
  TEST 37
  TRAP_ILLEGAL fclass.s a0, fa1
  TEST 38
  TRAP_ILLEGAL csrr a0, fcsr
  TEST 39
  TRAP_ILLEGAL csrr a0, fflags
  TEST 40
  TRAP_ILLEGAL csrwi frm, 1
  TEST 41
  mv s0, a1
  TRAP_ILLEGAL c.fld fa0, 0(s0)
  TEST 42
  la sp, fpbuf
  TRAP_ILLEGAL c.fsdsp fs1, 0(sp)
  la sp, test_stack_top
  TEST 43                           /* the trapping instructions changed nothing */
  ld a0, 0(a1)
  EXPECT a0, 0x3ff0000000000000
  TEST 44                           /* Off in S and U mode as well */
  ENTER_MODE PRV_S
  TRAP_ILLEGAL fsub.d fa0, fa1, fa2
  RETURN_TO_M
  TEST 45
  ENTER_MODE PRV_U
  TRAP_ILLEGAL fmv.w.x fa0, zero
  TEST 46
  TRAP_ILLEGAL frcsr a0
  RETURN_TO_M
  TEST 47                           /* register contents survive Off */
  SET_FS 1
  fmv.x.d a0, fs1
  EXPECT a0, 0x0123456789abcdef
  TEST 48                           /* FS can be changed from S via sstatus */
  ENTER_MODE PRV_S
  li a1, MSTATUS_FS
  csrc sstatus, a1
  RETURN_TO_M
  GET_FS
  EXPECT a0, 0
  SET_FS 1
TEST_END

  .data
  .align 4
fpbuf:
  .dword 0x3ff0000000000000
  .dword 0

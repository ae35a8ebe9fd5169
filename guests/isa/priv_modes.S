/*
 * Privilege modes and trap entry/return: ECALL from U/S/M (causes 8, 9,
 * 11, mtval 0), EBREAK (3), MRET/SRET restoring the mode from MPP/SPP and
 * the interrupt enables from MPIE/SPIE (and then setting xPIE = 1, xPP =
 * U), SRET executed in M, and the
 * instructions that are illegal in lower modes: MRET in S/U, SRET in U
 * or in S with mstatus.TSR, WFI in U or in S with mstatus.TW, and with
 * mstatus.TVM satp accesses and SFENCE.VMA in S.  Illegal-instruction
 * traps report the instruction bits in mtval.
 */
#include "test.h"

/* a0 = (s7 >> shift) & mask: a field of the status captured at the last trap */
.macro TRAPPED_FIELD shift, mask
  srli a0, s7, \shift
  andi a0, a0, \mask
.endm

/* mstatus: clear `clr` bits, then set `set` bits */
.macro MSTATUS clr, set
  li t0, \clr
  csrc mstatus, t0
  li t0, \set
  csrs mstatus, t0
.endm

TEST_BEGIN
  /* ---- ECALL / EBREAK from each mode ---- */
  TEST 1
  TRAP CAUSE_ECALL_M, ecall
  EXPECT s11, 0
  TRAPPED_FIELD 11, 3               /* MPP = M */
  EXPECT a0, PRV_M
  TEST 2
  TRAP CAUSE_BREAKPOINT, ebreak
  TEST 3
  ENTER_MODE PRV_S
  TRAP CAUSE_ECALL_S, ecall
  EXPECT s11, 0
  TRAPPED_FIELD 11, 3
  EXPECT a0, PRV_S
  TEST 4
  TRAP CAUSE_BREAKPOINT, ebreak
  RETURN_TO_M
  TEST 5
  ENTER_MODE PRV_U
  TRAP CAUSE_ECALL_U, ecall
  EXPECT s11, 0
  TRAPPED_FIELD 11, 3
  EXPECT a0, PRV_U
  TEST 6
  TRAP CAUSE_BREAKPOINT, ebreak
  EXPECT s6, 3                      /* nothing delegated: M took it */
  RETURN_TO_M

  /* ---- MRET ---- */
  TEST 7                            /* to S with MPIE = 1: MIE = 1 while in S */
  MSTATUS MSTATUS_MPP | MSTATUS_MIE, (PRV_S << MPP_SHIFT) | MSTATUS_MPIE
  la t0, 1f
  csrw mepc, t0
  mret
1:
  TRAP CAUSE_ECALL_S, ecall         /* the trap moved MIE (1) into MPIE */
  TRAPPED_FIELD 7, 1
  EXPECT a0, 1
  TRAPPED_FIELD 3, 1
  EXPECT a0, 0
  RETURN_TO_M
  TEST 8                            /* to U with MPIE = 0: MIE = 0 while in U */
  MSTATUS MSTATUS_MPP | MSTATUS_MPIE, MSTATUS_MIE
  la t0, 1f
  csrw mepc, t0
  mret
1:
  TRAP CAUSE_ECALL_U, ecall
  TRAPPED_FIELD 7, 1
  EXPECT a0, 0
  RETURN_TO_M
  TEST 9                            /* to M: MIE = MPIE, then MPIE = 1, MPP = U */
  MSTATUS MSTATUS_MIE, MSTATUS_MPP | MSTATUS_MPIE
  la t0, 1f
  csrw mepc, t0
  mret
1:
  csrr a1, mstatus
  srli a0, a1, 3
  andi a0, a0, 1
  EXPECT a0, 1                      /* MIE */
  srli a0, a1, 7
  andi a0, a0, 1
  EXPECT a0, 1                      /* MPIE */
  srli a0, a1, 11
  andi a0, a0, 3
  EXPECT a0, PRV_U                  /* MPP */
  TEST 10
  MSTATUS MSTATUS_MIE | MSTATUS_MPIE, MSTATUS_MPP
  la t0, 1f
  csrw mepc, t0
  mret
1:
  csrr a1, mstatus
  andi a0, a1, MSTATUS_MIE
  EXPECT a0, 0
  andi a0, a1, MSTATUS_MPIE
  EXPECT a0, MSTATUS_MPIE

  /* ---- SRET ---- */
  TEST 11                           /* S -> U: SIE = SPIE, SPIE = 1, SPP = U */
  ENTER_MODE PRV_S
  li t0, MSTATUS_SIE | MSTATUS_SPP
  csrc sstatus, t0
  li t0, MSTATUS_SPIE
  csrs sstatus, t0
  la t0, 1f
  csrw sepc, t0
  sret
1:
  TRAP CAUSE_ECALL_U, ecall
  TRAPPED_FIELD 1, 1                /* SIE */
  EXPECT a0, 1
  TRAPPED_FIELD 5, 1                /* SPIE */
  EXPECT a0, 1
  TRAPPED_FIELD 8, 1                /* SPP */
  EXPECT a0, PRV_U
  RETURN_TO_M
  TEST 12                           /* S -> S with SPIE = 0 */
  ENTER_MODE PRV_S
  li t0, MSTATUS_SPIE
  csrc sstatus, t0
  li t0, MSTATUS_SPP | MSTATUS_SIE
  csrs sstatus, t0
  la t0, 1f
  csrw sepc, t0
  sret
1:
  csrr a1, sstatus
  andi a0, a1, MSTATUS_SIE
  EXPECT a0, 0
  andi a0, a1, MSTATUS_SPIE
  EXPECT a0, MSTATUS_SPIE
  andi a0, a1, MSTATUS_SPP
  EXPECT a0, 0
  TRAP CAUSE_ECALL_S, ecall         /* still in S */
  RETURN_TO_M
  TEST 13                           /* SRET is legal in M: goes to SPP */
  MSTATUS 0, MSTATUS_SPP
  la t0, 1f
  csrw sepc, t0
  sret
1:
  TRAP CAUSE_ECALL_S, ecall
  RETURN_TO_M
  TEST 14
  MSTATUS MSTATUS_SPP, 0
  la t0, 1f
  csrw sepc, t0
  sret
1:
  TRAP CAUSE_ECALL_U, ecall
  RETURN_TO_M

  /* ---- instructions illegal in lower modes ---- */
  TEST 15
  ENTER_MODE PRV_S
  TRAP_ILLEGAL mret
  EXPECT s6, 3
  TEST 16
  RETURN_TO_M
  MSTATUS 0, MSTATUS_TSR
  ENTER_MODE PRV_S
  TRAP_ILLEGAL sret                 /* TSR: SRET in S traps */
  TEST 17
  RETURN_TO_M
  MSTATUS 0, MSTATUS_TW
  ENTER_MODE PRV_S
  TRAP_ILLEGAL wfi                  /* TW: WFI in S traps */
  TEST 18
  RETURN_TO_M
  MSTATUS 0, MSTATUS_TVM
  ENTER_MODE PRV_S
  TRAP_ILLEGAL csrr a0, satp        /* TVM: satp and SFENCE.VMA trap in S */
  TEST 19
  TRAP_ILLEGAL csrw satp, zero
  TEST 20
  TRAP_ILLEGAL sfence.vma
  TEST 21
  TRAP_ILLEGAL sfence.vma a0, a1
  RETURN_TO_M
  TEST 22                           /* TVM, TSR and TW do not restrict M */
  csrr a0, satp
  csrw satp, zero
  sfence.vma
  MSTATUS 0, MSTATUS_SPP
  la t0, 1f
  csrw sepc, t0
  sret                              /* with TSR still set */
1:
  TRAP CAUSE_ECALL_S, ecall
  RETURN_TO_M
  MSTATUS MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM, 0
  TEST 23                           /* without TVM, S may use satp and SFENCE.VMA */
  ENTER_MODE PRV_S
  csrr a0, satp
  EXPECT a0, 0
  csrw satp, zero
  sfence.vma
  sfence.vma zero, zero
  RETURN_TO_M
  TEST 24
  ENTER_MODE PRV_U
  TRAP_ILLEGAL mret
  TEST 25
  TRAP_ILLEGAL sret
  TEST 26
  TRAP_ILLEGAL wfi                  /* WFI in U is illegal (S-mode exists) */
  TEST 27
  TRAP_ILLEGAL sfence.vma
  RETURN_TO_M
  TEST 28
  MSTATUS 0, MSTATUS_TW
  ENTER_MODE PRV_U
  TRAP_ILLEGAL wfi
  RETURN_TO_M
  MSTATUS MSTATUS_TW, 0

  /* ---- illegal encodings: mtval = instruction bits ---- */
  TEST 29
  TRAP_ILLEGAL .word 0x0000000b     /* custom-0 opcode */
  TEST 30
  TRAP_ILLEGAL .word 0xfe000033     /* OP with undefined funct7 */
  TEST 31
  ENTER_MODE PRV_U
  TRAP_ILLEGAL .word 0x0000000b
  RETURN_TO_M

TEST_END

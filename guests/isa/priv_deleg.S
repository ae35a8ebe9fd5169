/*
 * Exception delegation: medeleg/mideleg writability (medeleg[11]: see
 * priv_spec112.S), delegated exceptions from U and S taken at stvec with
 * scause/sepc/stval and sstatus.SPP/SPIE/SIE updated, exceptions raised
 * in M never delegated, undelegated exceptions from U/S going to M, and
 * SRET from the S handler resuming in the interrupted mode.
 */
#include "test.h"

/* a0 = field of the status (sstatus or mstatus) captured at the last trap */
.macro TRAPPED_FIELD shift, mask
  srli a0, s7, \shift
  andi a0, a0, \mask
.endm

TEST_BEGIN
  la t0, s_trap
  csrw stvec, t0

  /* ---- writable bits ---- */
  TEST 1
  li a1, -1
  csrw medeleg, a1
  csrr a0, medeleg
  li a2, (1 << 2) | (1 << 3) | (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15)
  and a3, a0, a2
  EXPECT_EQ a3, a2
  TEST 2
  csrw medeleg, zero
  csrr a0, medeleg
  EXPECT a0, 0
  TEST 3
  csrw mideleg, a1
  csrr a0, mideleg
  li a2, MIP_SSIP | MIP_STIP | (1 << 9)
  and a3, a0, a2
  EXPECT_EQ a3, a2
  csrw mideleg, zero

  /* ---- ECALL from U delegated to S ---- */
  li a1, 1 << CAUSE_ECALL_U
  csrw medeleg, a1
  li a1, MSTATUS_SIE                /* SIE = 1 so that SPIE can be checked */
  csrs mstatus, a1
  ENTER_MODE PRV_U
  TEST 4
  TRAP CAUSE_ECALL_U, ecall
  EXPECT s6, 1                      /* taken by the S handler */
  EXPECT s11, 0                     /* stval */
  TEST 5
  TRAPPED_FIELD 8, 1                /* SPP = U */
  EXPECT a0, PRV_U
  TRAPPED_FIELD 5, 1                /* SPIE = old SIE */
  EXPECT a0, 1
  TRAPPED_FIELD 1, 1                /* SIE cleared */
  EXPECT a0, 0
  TEST 6                            /* SRET returned to U: an illegal op goes to M from U */
  TRAP CAUSE_ILLEGAL, csrr a0, sstatus
  EXPECT s6, 3
  srli a0, s7, 11
  andi a0, a0, 3
  EXPECT a0, PRV_U
  TEST 7                            /* still delegated after coming back */
  TRAP CAUSE_ECALL_U, ecall
  EXPECT s6, 1
  RETURN_TO_M                       /* via the S handler, then M */

  /* ---- illegal instruction and breakpoint delegated ---- */
  li a1, (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_ECALL_U)
  csrw medeleg, a1
  ENTER_MODE PRV_S
  TEST 8                            /* from S, to S */
  TRAP_ILLEGAL csrr a0, mstatus     /* stval = instruction bits */
  EXPECT s6, 1
  TRAPPED_FIELD 8, 1                /* SPP = S */
  EXPECT a0, PRV_S
  TEST 9                            /* scause/stval keep the trap state (sepc was
                                       rewritten by the handler to resume) */
  csrr a0, scause
  EXPECT a0, CAUSE_ILLEGAL
  csrr a0, stval
  EXPECT_EQ a0, s11
  TEST 10
  TRAP CAUSE_BREAKPOINT, ebreak
  EXPECT s6, 1
  TEST 11                           /* ECALL from S is not delegated */
  TRAP CAUSE_ECALL_S, ecall
  EXPECT s6, 3
  RETURN_TO_M
  ENTER_MODE PRV_U
  TEST 12
  TRAP CAUSE_BREAKPOINT, ebreak
  EXPECT s6, 1
  TRAPPED_FIELD 8, 1
  EXPECT a0, PRV_U
  TEST 13
  TRAP_ILLEGAL .word 0x0000000b
  EXPECT s6, 1
  RETURN_TO_M

  /* ---- traps raised in M are never delegated ---- */
  TEST 14
  TRAP CAUSE_BREAKPOINT, ebreak
  EXPECT s6, 3
  TEST 15
  TRAP_ILLEGAL .word 0x0000000b
  EXPECT s6, 3
  csrr a0, mcause
  EXPECT a0, CAUSE_ILLEGAL

  /* ---- without delegation the same traps go to M ---- */
  csrw medeleg, zero
  ENTER_MODE PRV_S
  TEST 16
  TRAP CAUSE_BREAKPOINT, ebreak
  EXPECT s6, 3
  RETURN_TO_M
  ENTER_MODE PRV_U
  TEST 17
  TRAP CAUSE_ECALL_U, ecall
  EXPECT s6, 3
  RETURN_TO_M
TEST_END

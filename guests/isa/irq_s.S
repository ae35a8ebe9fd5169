/*
 * Supervisor-level interrupts: sie/sip as views of mie/mip restricted by
 * mideleg (read-only zero where not delegated), SSIP writable from S and
 * STIP not, a supervisor timer interrupt raised by M setting mip.STIP and
 * delegated through mideleg (scause 0x8000000000000005), a supervisor
 * software interrupt from sip.SSIP (...1), masking by sstatus.SIE in S
 * but never in U, delegated interrupts never taken in M, an undelegated
 * STI going to M even from S, SSI before STI, and vectored stvec.
 */
#include "test.h"
#include "irq.h"

TEST_BEGIN
  IRQ_SETUP

  /* ---- sie / sip views ---- */
  TEST 1                            /* not delegated: read-only zero */
  csrw mideleg, zero
  li a1, MIP_SSIP | MIP_STIP
  csrs sie, a1
  csrr a0, sie
  EXPECT a0, 0
  csrr a0, mie
  EXPECT a0, 0
  csrs mip, a1
  csrr a0, sip
  EXPECT a0, 0
  csrc mip, a1
  TEST 2                            /* delegated: sie/sip show mie/mip */
  csrw mideleg, a1
  csrs sie, a1
  csrr a0, mie
  and a0, a0, a1
  EXPECT a0, MIP_SSIP | MIP_STIP
  csrr a0, sie
  and a0, a0, a1
  EXPECT a0, MIP_SSIP | MIP_STIP
  li a2, MIP_SSIP
  csrs mip, a2
  csrr a0, sip
  and a0, a0, a1
  EXPECT a0, MIP_SSIP
  csrc mip, a2
  csrw mie, zero
  TEST 3                            /* S may set SSIP, not STIP (SIE = 0: nothing taken) */
  ENTER_MODE PRV_S
  li a1, MIP_SSIP | MIP_STIP
  csrs sip, a1
  csrr a0, sip
  and a0, a0, a1
  EXPECT a0, MIP_SSIP
  csrc sip, a1
  csrr a0, sip
  and a0, a0, a1
  EXPECT a0, 0
  RETURN_TO_M
  EXPECT_IRQS 0

  /* ---- delegated supervisor timer interrupt ---- */
  TEST 4
  li a1, MIP_STIP
  csrw mideleg, a1
  csrw mie, a1
  csrs mip, a1                      /* M posts the timer interrupt for S */
  li a1, MSTATUS_SIE
  csrs mstatus, a1
  ENTER_MODE PRV_S
  WAIT_IRQS 1
  csrr a0, sip                      /* still pending: only M can clear it */
  andi a0, a0, MIP_STIP
  EXPECT a0, MIP_STIP
  RETURN_TO_M
  EXPECT_LOG 0, INT_STI | IRQ_AT_S
  LOG_STATUS 0                      /* sstatus: SPP = S, SPIE = 1, SIE = 0 */
  andi a0, a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
  EXPECT a0, MSTATUS_SPP | MSTATUS_SPIE
  li a1, MIP_STIP
  csrc mip, a1
  csrr a0, mip
  andi a0, a0, MIP_STIP
  EXPECT a0, 0

  /* ---- supervisor software interrupt raised by S itself ---- */
  TEST 5
  li a1, MIP_SSIP
  csrw mideleg, a1
  csrw mie, a1
  ENTER_MODE PRV_S
  li a1, MSTATUS_SIE
  csrs sstatus, a1
  li a1, MIP_SSIP
  csrs sip, a1
  WAIT_IRQS 2
  EXPECT_LOG 1, INT_SSI | IRQ_AT_S
  TEST 6                            /* SIE = 0 masks it in S... */
  li a1, MSTATUS_SIE
  csrc sstatus, a1
  li a1, MIP_SSIP
  csrs sip, a1
  SPIN
  EXPECT_IRQS 2
  TEST 7                            /* ...but not in U: taken on entry */
  li a1, MSTATUS_SPP | MSTATUS_SPIE
  csrc sstatus, a1
  la a1, 1f
  csrw sepc, a1
  sret
1:
  WAIT_IRQS 3
  EXPECT_LOG 2, INT_SSI | IRQ_AT_S
  LOG_STATUS 2
  andi a0, a0, MSTATUS_SPP
  EXPECT a0, 0                      /* came from U */
  RETURN_TO_M

  /* ---- delegated interrupts are not taken in M ---- */
  TEST 8
  li a1, MIP_SSIP
  csrs mip, a1
  li a1, MSTATUS_SIE
  csrs mstatus, a1
  csrsi mstatus, MSTATUS_MIE
  SPIN
  EXPECT_IRQS 3
  csrci mstatus, MSTATUS_MIE
  ENTER_MODE PRV_S                  /* SIE = 1 in S: now it is taken */
  WAIT_IRQS 4
  RETURN_TO_M
  EXPECT_LOG 3, INT_SSI | IRQ_AT_S

  /* ---- undelegated STI goes to M even from S with MIE = 0 ---- */
  TEST 9
  csrw mideleg, zero
  li a1, MIP_STIP
  csrw mie, a1
  csrs mip, a1
  ENTER_MODE PRV_S
  WAIT_IRQS 5
  RETURN_TO_M
  EXPECT_LOG 4, INT_STI
  LOG_STATUS 4
  srli a0, a0, 11
  andi a0, a0, 3
  EXPECT a0, PRV_S

  /* ---- both S interrupts pending: SSI first ---- */
  TEST 10
  li a1, MIP_SSIP | MIP_STIP
  csrw mideleg, a1
  csrw mie, a1
  csrs mip, a1
  ENTER_MODE PRV_U                  /* S interrupts are enabled in U */
  WAIT_IRQS 7
  RETURN_TO_M
  EXPECT_LOG 5, INT_SSI | IRQ_AT_S
  EXPECT_LOG 6, INT_STI | IRQ_AT_S
  li a1, MIP_STIP
  csrc mip, a1

  /* ---- vectored stvec ---- */
  TEST 11
  la a1, s_vec_table
  ori a1, a1, 1
  csrw stvec, a1
  csrr a0, stvec
  EXPECT_EQ a0, a1
  li a1, MIP_SSIP | MIP_STIP
  csrw mie, a1
  li a1, MIP_STIP
  csrs mip, a1
  ENTER_MODE PRV_U
  WAIT_IRQS 8
  RETURN_TO_M
  EXPECT_LOG 7, INT_STI | IRQ_AT_S | IRQ_VECTORED
  li a1, MIP_STIP
  csrc mip, a1
  TEST 12
  li a1, MIP_SSIP
  csrs mip, a1
  ENTER_MODE PRV_U
  WAIT_IRQS 9
  RETURN_TO_M
  EXPECT_LOG 8, INT_SSI | IRQ_AT_S | IRQ_VECTORED
  TEST 13                           /* exceptions still go to the base */
  li a1, 1 << CAUSE_BREAKPOINT
  csrw medeleg, a1
  ENTER_MODE PRV_U
  TRAP CAUSE_BREAKPOINT, ebreak
  EXPECT s6, 1
  RETURN_TO_M
  csrw medeleg, zero
  csrw mie, zero
  csrw mideleg, zero
TEST_END
  IRQ_HANDLERS

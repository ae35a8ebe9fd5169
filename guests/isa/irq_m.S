/*
 * Machine-level interrupts from the CLINT (msip +0, mtimecmp +0x4000,
 * mtime +0xbff8): mip.MTIP/MSIP following the CLINT and read-only in mip,
 * the machine timer (cause 0x8000000000000007) and software interrupt
 * (...3) in direct mode, masking by mie and mstatus.MIE, MSI before MTI,
 * vectored mtvec (interrupt i at base + 4i, exceptions at
 * base), WFI returning on a pending interrupt with MIE = 0 (no trap), and
 * M interrupts taken in S and U even with MIE = 0.
 */
#include "test.h"
#include "irq.h"

TEST_BEGIN
  IRQ_SETUP
  TIMER_OFF

  /* ---- pending bits ---- */
  TEST 1
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT a0, 0
  li t0, CLINT_MTIMECMP
  sd zero, 0(t0)                    /* mtime >= 0: pending at once */
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT a0, MIP_MTIP
  TIMER_OFF
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT a0, 0
  TEST 2                            /* MTIP and MSIP cannot be set through mip */
  li a1, MIP_MTIP | MIP_MSIP
  csrs mip, a1
  csrr a0, mip
  and a0, a0, a1
  EXPECT a0, 0
  TEST 3
  MSIP_SET 1
  li t0, CLINT_MSIP
  lw a0, 0(t0)
  EXPECT a0, 1
  csrr a0, mip
  andi a0, a0, MIP_MSIP
  EXPECT a0, MIP_MSIP
  MSIP_SET 0
  csrr a0, mip
  andi a0, a0, MIP_MSIP
  EXPECT a0, 0
  TEST 4                            /* mie holds the six standard enables */
  li a1, -1
  csrw mie, a1
  csrr a0, mie
  li a1, 0xaaa
  and a0, a0, a1
  EXPECT a0, 0xaaa
  csrw mie, zero

  /* ---- timer and software interrupts, direct mode ---- */
  TEST 5
  li a1, MIP_MTIP
  csrw mie, a1
  csrsi mstatus, MSTATUS_MIE
  TIMER_IN 1000
  WAIT_IRQS 1
  EXPECT_LOG 0, INT_MTI
  LOG_STATUS 0                      /* taken from M: MPP = M, MPIE = 1 */
  srli a0, a0, 7
  andi a0, a0, 0x31
  EXPECT a0, 0x31
  TEST 6                            /* MRET restored MIE; the handler cleared MTIP */
  csrr a0, mstatus
  andi a0, a0, MSTATUS_MIE
  EXPECT a0, MSTATUS_MIE
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  EXPECT a0, 0
  TEST 7
  li a1, MIP_MSIP
  csrw mie, a1
  MSIP_SET 1
  WAIT_IRQS 2
  EXPECT_LOG 1, INT_MSI
  li t0, CLINT_MSIP
  lw a0, 0(t0)
  EXPECT a0, 0

  /* ---- masking ---- */
  TEST 8                            /* pending + enabled in mie, but MIE = 0 */
  csrci mstatus, MSTATUS_MIE
  li a1, MIP_MTIP
  csrw mie, a1
  li t0, CLINT_MTIMECMP
  sd zero, 0(t0)
  SPIN
  EXPECT_IRQS 2
  TEST 9                            /* MIE = 1 but the mie bit is clear */
  csrw mie, zero
  csrsi mstatus, MSTATUS_MIE
  SPIN
  EXPECT_IRQS 2
  TEST 10                           /* enabling it delivers the pending interrupt */
  li a1, MIP_MTIP
  csrs mie, a1
  WAIT_IRQS 3
  EXPECT_LOG 2, INT_MTI

  /* ---- priority: MSI before MTI (full order: irq_priority.S) ---- */
  TEST 11
  csrci mstatus, MSTATUS_MIE
  MSIP_SET 1
  li t0, CLINT_MTIMECMP
  sd zero, 0(t0)
  li a1, MIP_MSIP | MIP_MTIP
  csrw mie, a1
  csrsi mstatus, MSTATUS_MIE
  WAIT_IRQS 5
  EXPECT_LOG 3, INT_MSI
  EXPECT_LOG 4, INT_MTI
  csrci mstatus, MSTATUS_MIE
  csrw mie, zero

  /* ---- vectored mode ---- */
  TEST 12
  la a1, m_vec_table
  ori a1, a1, 1
  csrw mtvec, a1
  csrr a0, mtvec
  EXPECT_EQ a0, a1
  TEST 13
  li a1, MIP_MTIP
  csrw mie, a1
  csrsi mstatus, MSTATUS_MIE
  TIMER_IN 500
  WAIT_IRQS 6
  EXPECT_LOG 5, INT_MTI | IRQ_VECTORED
  TEST 14
  li a1, MIP_MSIP
  csrw mie, a1
  MSIP_SET 1
  WAIT_IRQS 7
  EXPECT_LOG 6, INT_MSI | IRQ_VECTORED
  TEST 15
  li a1, MIP_SSIP
  csrw mie, a1
  csrs mip, a1
  WAIT_IRQS 8
  EXPECT_LOG 7, INT_SSI | IRQ_VECTORED
  TEST 16                           /* exceptions still go to the base */
  TRAP CAUSE_ECALL_M, ecall
  csrci mstatus, MSTATUS_MIE
  csrw mie, zero
  la a1, m_irq
  csrw mtvec, a1

  /* ---- WFI wakes on a pending interrupt even with MIE = 0 ---- */
  TEST 17
  li a1, MIP_MTIP
  csrw mie, a1
  TIMER_IN 2000
  li a2, 1000                       /* WFI may also return early: retry */
1:
  wfi
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  bnez a0, 2f
  addi a2, a2, -1
  bnez a2, 1b
  j fail
2:
  EXPECT_IRQS 8                     /* woke up without taking the interrupt */
  TIMER_OFF
  TEST 18
  li a1, MIP_MSIP
  csrw mie, a1
  MSIP_SET 1
  wfi                               /* already pending: returns */
  EXPECT_IRQS 8
  MSIP_SET 0

  /* ---- M interrupts are taken in S and U whatever mstatus.MIE says ---- */
  TEST 19
  li a1, MIP_MTIP
  csrw mie, a1
  TIMER_IN 1000
  ENTER_MODE PRV_U
  WAIT_IRQS 9
  RETURN_TO_M
  EXPECT_LOG 8, INT_MTI
  LOG_STATUS 8
  srli a0, a0, 11
  andi a0, a0, 3
  EXPECT a0, PRV_U
  TEST 20
  TIMER_IN 1000
  ENTER_MODE PRV_S
  WAIT_IRQS 10
  RETURN_TO_M
  EXPECT_LOG 9, INT_MTI
  LOG_STATUS 9
  srli a0, a0, 11
  andi a0, a0, 3
  EXPECT a0, PRV_S
  csrw mie, zero
TEST_END
  IRQ_HANDLERS

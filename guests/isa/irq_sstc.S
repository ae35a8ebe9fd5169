/*
 * Sstc: menvcfg.STCE (bit 63) enables stimecmp (CSR 0x14d).  With STCE
 * set, mip.STIP is read-only and follows (time >= stimecmp); S can use
 * stimecmp when mcounteren.TM is also set (else illegal, as it is with
 * STCE clear); a delegated S timer interrupt fires when time reaches
 * stimecmp and clears when stimecmp moves into the future; undelegated it
 * goes to M.
 *
 * QEMU 7.2's spike machine has no time CSR and so no Sstc: on spike this
 * file stops at check 2; it is validated on QEMU's virt machine (README).
 */
#include "test.h"
#include "irq.h"

#define STCE (1 << 63)
#define TM 2

TEST_BEGIN
  IRQ_SETUP
  TEST 1
  li a1, STCE
  csrs menvcfg, a1
  csrr a0, menvcfg
  srli a0, a0, 63
  EXPECT a0, 1
  TEST 2                            /* M can always use stimecmp */
  li a1, 0x123456789abc
  csrw stimecmp, a1
  csrr a0, stimecmp
  EXPECT_EQ a0, a1
  TEST 3                            /* STIP follows the comparison */
  li a1, -1
  csrw stimecmp, a1
  csrr a0, mip
  andi a0, a0, MIP_STIP
  EXPECT a0, 0
  csrw stimecmp, zero
  csrr a0, mip
  andi a0, a0, MIP_STIP
  EXPECT a0, MIP_STIP
  TEST 4                            /* ...and cannot be cleared through mip */
  li a1, MIP_STIP
  csrc mip, a1
  csrr a0, mip
  andi a0, a0, MIP_STIP
  EXPECT a0, MIP_STIP
  TEST 5                            /* nor set */
  li a1, -1
  csrw stimecmp, a1
  li a1, MIP_STIP
  csrs mip, a1
  csrr a0, mip
  andi a0, a0, MIP_STIP
  EXPECT a0, 0

  /* ---- access from S ---- */
  li a1, TM
  csrw mcounteren, a1
  ENTER_MODE PRV_S
  TEST 6
  li a1, 0x1000
  csrw stimecmp, a1
  csrr a0, stimecmp
  EXPECT a0, 0x1000
  li a1, -1
  csrw stimecmp, a1
  RETURN_TO_M
  csrw mcounteren, zero
  ENTER_MODE PRV_S
  TEST 7                            /* TM clear */
  TRAP_ILLEGAL csrr a0, stimecmp
  RETURN_TO_M
  li a1, TM
  csrw mcounteren, a1
  li a1, STCE
  csrc menvcfg, a1
  ENTER_MODE PRV_S
  TEST 8                            /* STCE clear */
  TRAP_ILLEGAL csrw stimecmp, zero
  RETURN_TO_M
  ENTER_MODE PRV_U
  TEST 9                            /* never from U */
  TRAP_ILLEGAL csrr a0, stimecmp
  RETURN_TO_M
  li a1, STCE
  csrs menvcfg, a1

  /* ---- delegated timer interrupt programmed by S ---- */
  TEST 10
  li a1, MIP_STIP
  csrw mideleg, a1
  csrw mie, a1
  ENTER_MODE PRV_S
  li a1, MSTATUS_SIE
  csrs sstatus, a1
  rdtime a1
  li a2, 1000                       /* 100 us */
  add a1, a1, a2
  csrw stimecmp, a1
  WAIT_IRQS 1
  EXPECT_LOG 0, INT_STI | IRQ_AT_S
  TEST 11                           /* still pending until stimecmp moves */
  csrr a0, sip
  andi a0, a0, MIP_STIP
  EXPECT a0, MIP_STIP
  li a1, -1
  csrw stimecmp, a1
  csrr a0, sip
  andi a0, a0, MIP_STIP
  EXPECT a0, 0
  TEST 12                           /* a compare value in the past fires at once */
  li a1, MIP_STIP
  csrs sie, a1
  csrw stimecmp, zero
  WAIT_IRQS 2
  EXPECT_LOG 1, INT_STI | IRQ_AT_S
  li a1, -1
  csrw stimecmp, a1
  RETURN_TO_M

  /* ---- undelegated: to M ---- */
  TEST 13
  csrw mideleg, zero
  li a1, MIP_STIP
  csrw mie, a1
  csrw stimecmp, zero
  ENTER_MODE PRV_S
  WAIT_IRQS 3
  RETURN_TO_M
  EXPECT_LOG 2, INT_STI
  li a1, -1
  csrw stimecmp, a1
  csrw mie, zero
TEST_END
  IRQ_HANDLERS

/*
 * Privileged-spec 1.12 rules that QEMU 7.2 does not follow:
 *  - MRET and SRET that return to a mode below M clear mstatus.MPRV, so a
 *    stale MPRV cannot leak into later M-mode code (an xRET that stays in
 *    M keeps it);
 *  - mepc/sepc bit 0 always reads as zero (IALIGN = 16 with C);
 *  - medeleg[11] (ECALL from M) is read-only zero.
 * On QEMU 7.2 this file stops at check 1; with -DQEMU_QUIRKS the checks
 * QEMU fails are skipped.
 */
#include "test.h"

/* a0 = mstatus.MPRV as captured at the last trap */
.macro TRAPPED_MPRV
  srli a0, s7, 17
  andi a0, a0, 1
.endm

TEST_BEGIN
#ifndef QEMU_QUIRKS
  TEST 1                            /* MRET to S */
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, (PRV_S << MPP_SHIFT) | MSTATUS_MPRV
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
1:
  TRAP CAUSE_ECALL_S, ecall
  TRAPPED_MPRV
  EXPECT a0, 0
  RETURN_TO_M
  TEST 2                            /* MRET to U */
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
1:
  TRAP CAUSE_ECALL_U, ecall
  TRAPPED_MPRV
  EXPECT a0, 0
  RETURN_TO_M
  TEST 3                            /* SRET (executed in M) to U */
  li t0, MSTATUS_SPP
  csrc mstatus, t0
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  la t0, 1f
  csrw sepc, t0
  sret
1:
  TRAP CAUSE_ECALL_U, ecall
  TRAPPED_MPRV
  EXPECT a0, 0
  RETURN_TO_M
#endif
  TEST 4                            /* MRET back to M keeps MPRV */
  li t0, MSTATUS_MPP | MSTATUS_MPRV
  csrs mstatus, t0                  /* MPP = M: MPRV has no effect on M accesses */
  la t0, 1f
  csrw mepc, t0
  mret
1:
  csrr a0, mstatus
  li t0, MSTATUS_MPRV
  and a0, a0, t0
  EXPECT_EQ a0, t0
  csrc mstatus, t0
#ifndef QEMU_QUIRKS
  TEST 5                            /* xepc[0] is always zero */
  li a1, 0x80001235
  csrw mepc, a1
  csrr a0, mepc
  EXPECT a0, 0x80001234
  TEST 6
  csrw sepc, a1
  csrr a0, sepc
  EXPECT a0, 0x80001234
  TEST 7
  li a1, -1
  csrw medeleg, a1
  csrr a0, medeleg
  csrw medeleg, zero
  srli a0, a0, 11
  andi a0, a0, 1
  EXPECT a0, 0
#endif
TEST_END

/*
 * The time CSR: readable in M, equal to the CLINT's mtime (10 MHz), moving
 * forward; from S gated by mcounteren.TM, from U also by scounteren.TM;
 * a write to mtime (read-write in the ACLINT spec) is seen by time.
 *
 * QEMU 7.2's spike machine has no time CSR (reads trap, as on Spike where
 * firmware emulates them), so on spike this file stops at check 1; it is
 * validated on QEMU's virt machine instead (see README.md).
 */
#include "test.h"

#define TM 2

TEST_BEGIN
  TEST 1                            /* mtime <= time <= mtime, read in that order */
  li s0, CLINT_MTIME
  ld a1, 0(s0)
  rdtime a2
  ld a3, 0(s0)
  bltu a2, a1, fail
  bltu a3, a2, fail
  TEST 2                            /* it moves: wait for a change (bounded) */
  rdtime a1
  li a3, 10000000
1:
  rdtime a2
  bne a2, a1, 2f
  addi a3, a3, -1
  bnez a3, 1b
  j fail
2:
  bltu a2, a1, fail
  /* ---- gating ---- */
  csrw mcounteren, zero
  csrw scounteren, zero
  ENTER_MODE PRV_S
  TEST 3
  TRAP_ILLEGAL rdtime a0
  RETURN_TO_M
  li a1, TM
  csrw mcounteren, a1
  ENTER_MODE PRV_S
  TEST 4
  rdtime a0
  beqz a0, fail
  RETURN_TO_M
  ENTER_MODE PRV_U
  TEST 5                            /* U: scounteren.TM still clear */
  TRAP_ILLEGAL rdtime a0
  RETURN_TO_M
  li a1, TM
  csrw scounteren, a1
  ENTER_MODE PRV_U
  TEST 6
  rdtime a0
  beqz a0, fail
  RETURN_TO_M
  csrw mcounteren, zero
  ENTER_MODE PRV_U
  TEST 7                            /* U: mcounteren.TM clear */
  TRAP_ILLEGAL rdtime a0
  RETURN_TO_M
  TEST 8                            /* mtime is writable (ACLINT) and time follows */
  li a1, 0x123456789000
  sd a1, 0(s0)
  rdtime a2
  bltu a2, a1, fail
  li a3, 0x123456789000 + 10000000  /* less than a second later */
  bgeu a2, a3, fail

TEST_END

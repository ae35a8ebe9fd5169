/*
 * Counters and scratch registers: cycle/instret (and mcycle/minstret)
 * readable and advancing in M, access from S gated by mcounteren and from
 * U by mcounteren AND scounteren (one bit per counter: CY = 0, IR = 2;
 * illegal when clear), mhartid = 0, mscratch/sscratch holding 64 bits.
 * The time CSR is covered by time_csr.S.
 */
#include "test.h"

#define CY 1
#define TM 2
#define IR 4

TEST_BEGIN
  TEST 1
  csrr a0, mhartid
  EXPECT a0, 0

  TEST 2
  li a1, 0xa5a5a5a5deadbeef
  csrw mscratch, a1
  csrr a0, mscratch
  EXPECT_EQ a0, a1
  not a2, a1
  csrw sscratch, a2
  csrr a0, sscratch
  EXPECT_EQ a0, a2
  TEST 3                            /* S owns sscratch */
  ENTER_MODE PRV_S
  li a1, 0x0123456789abcdef
  csrrw a0, sscratch, a1
  EXPECT_EQ a0, a2
  RETURN_TO_M
  csrr a0, sscratch
  EXPECT a0, 0x0123456789abcdef

  /* ---- counting in M ---- */
  TEST 4
  rdinstret a1
  .rept 20
  nop
  .endr
  rdinstret a2
  sub a0, a2, a1
  EXPECT_NE a0, zero
  bltu a2, a1, fail
  TEST 5
  rdcycle a1
  li a3, 100
1:
  addi a3, a3, -1
  bnez a3, 1b
  rdcycle a2
  bgeu a1, a2, fail                 /* strictly advanced */
  TEST 6                            /* the M names read the same counters */
  csrr a1, mcycle
  rdcycle a2
  bltu a2, a1, fail
  csrr a1, minstret
  rdinstret a2
  bltu a2, a1, fail

  /* ---- mcounteren gates S ---- */
  csrw mcounteren, zero
  csrw scounteren, zero
  ENTER_MODE PRV_S
  TEST 7
  TRAP_ILLEGAL rdcycle a0
  TEST 8
  TRAP_ILLEGAL rdinstret a0
  RETURN_TO_M
  li a1, CY
  csrw mcounteren, a1
  ENTER_MODE PRV_S
  TEST 9
  rdcycle a0                        /* allowed now */
  TRAP_ILLEGAL rdinstret a0         /* IR still clear */
  RETURN_TO_M
  li a1, IR
  csrw mcounteren, a1
  ENTER_MODE PRV_S
  TEST 10
  rdinstret a0
  TRAP_ILLEGAL rdcycle a0
  TEST 11                           /* scounteren does not restrict S itself */
  csrw scounteren, zero
  rdinstret a0
  RETURN_TO_M

  /* ---- U needs both mcounteren and scounteren ---- */
  li a1, CY | IR
  csrw mcounteren, a1
  csrw scounteren, zero
  ENTER_MODE PRV_U
  TEST 12
  TRAP_ILLEGAL rdcycle a0
  TEST 13
  TRAP_ILLEGAL rdinstret a0
  RETURN_TO_M
  li a1, CY
  csrw scounteren, a1
  ENTER_MODE PRV_U
  TEST 14
  rdcycle a0
  TRAP_ILLEGAL rdinstret a0
  RETURN_TO_M
  csrw mcounteren, zero
  li a1, CY | IR
  csrw scounteren, a1
  ENTER_MODE PRV_U
  TEST 15                           /* scounteren alone is not enough */
  TRAP_ILLEGAL rdcycle a0
  TEST 16
  TRAP_ILLEGAL rdinstret a0
  RETURN_TO_M
  li a1, CY | IR
  csrw mcounteren, a1
  ENTER_MODE PRV_U
  TEST 17
  rdcycle a1
  rdinstret a2
  rdcycle a3
  bltu a3, a1, fail
  TEST 18                           /* M-level counter names stay M-only */
  TRAP_ILLEGAL csrr a0, mcycle
  RETURN_TO_M
  ENTER_MODE PRV_S
  TEST 19
  TRAP_ILLEGAL csrr a0, minstret
  TEST 20
  TRAP_ILLEGAL csrr a0, mcounteren
  RETURN_TO_M
TEST_END

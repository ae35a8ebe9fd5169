/*
 * Zicsr: CSRRW/CSRRS/CSRRC and the immediate forms (old value returned,
 * 5-bit immediate zero-extended, rd = x0 forms), read-only CSRs (writes
 * illegal, incl. CSRRW with rs1 = x0 and CSRRS/CSRRC with a register
 * holding 0; CSRRS/CSRRC with rs1 = x0 or uimm = 0 do not write and are
 * fine), unimplemented CSR numbers illegal, CSR privilege levels, the
 * sstatus view of mstatus, and misa.
 * Illegal-instruction traps must report the instruction bits in mtval.
 */
#include "test.h"

TEST_BEGIN
  /* ---- read/modify/write forms on mscratch ---- */
  TEST 1
  li a1, 0x0123456789abcdef
  csrw mscratch, a1
  li a2, 0xfedcba9876543210
  csrrw a0, mscratch, a2            /* returns the old value */
  EXPECT a0, 0x0123456789abcdef
  csrr a0, mscratch
  EXPECT a0, 0xfedcba9876543210
  TEST 2
  li a1, 0xf0
  csrw mscratch, a1
  li a2, 0x0f
  csrrs a0, mscratch, a2
  EXPECT a0, 0xf0
  csrr a0, mscratch
  EXPECT a0, 0xff
  TEST 3
  li a2, 0xf0
  csrrc a0, mscratch, a2
  EXPECT a0, 0xff
  csrr a0, mscratch
  EXPECT a0, 0x0f
  TEST 4
  csrrwi a0, mscratch, 31           /* uimm is zero-extended: 31, not -1 */
  EXPECT a0, 0x0f
  csrr a0, mscratch
  EXPECT a0, 31
  TEST 5
  csrrci a0, mscratch, 0x11
  EXPECT a0, 31
  csrr a0, mscratch
  EXPECT a0, 0x0e
  csrrsi a0, mscratch, 0x10
  EXPECT a0, 0x0e
  csrr a0, mscratch
  EXPECT a0, 0x1e
  TEST 6                            /* rd = x0 forms */
  li a1, -1
  csrw mscratch, a1
  li a1, 0xff
  csrc mscratch, a1
  csrr a0, mscratch
  EXPECT a0, 0xffffffffffffff00
  csrs mscratch, a1
  csrr a0, mscratch
  EXPECT a0, -1
  csrwi mscratch, 5
  csrr a0, mscratch
  EXPECT a0, 5
  csrci mscratch, 4
  csrsi mscratch, 8
  csrr a0, mscratch
  EXPECT a0, 9
  TEST 7                            /* rd == rs1: swap */
  li a0, 77
  csrrw a0, mscratch, a0
  EXPECT a0, 9
  csrr a0, mscratch
  EXPECT a0, 77
  TEST 8                            /* CSRRS/CSRRC with a zero register value */
  li a1, 0
  csrrs a0, mscratch, a1
  csrrc a0, mscratch, a1
  EXPECT a0, 77
  csrr a0, mscratch
  EXPECT a0, 77

  /* ---- read-only CSRs: reads are fine, writes are illegal ---- */
  TEST 9
  csrr a0, mhartid                  /* csrrs a0, mhartid, x0 */
  EXPECT a0, 0
  csrrc a0, mhartid, x0
  EXPECT a0, 0
  csrrsi a0, mhartid, 0             /* uimm = 0: no write */
  csrrci a0, mhartid, 0
  EXPECT a0, 0
  TEST 10
  csrr a0, mvendorid
  csrr a0, marchid
  csrr a0, mimpid
  csrrs a0, cycle, x0
  csrrc a0, instret, x0
  csrrsi a0, instret, 0
  csrrci a0, cycle, 0
  TEST 11
  li a1, 1
  TRAP_ILLEGAL csrw mvendorid, a1
  TEST 12
  TRAP_ILLEGAL csrrw a0, mhartid, x0 /* CSRRW always writes, even x0 */
  TEST 13
  TRAP_ILLEGAL csrrs a0, marchid, a1
  TEST 14
  TRAP_ILLEGAL csrrc a0, mimpid, a1
  TEST 15
  TRAP_ILLEGAL csrrsi a0, mhartid, 1
  TEST 16
  TRAP_ILLEGAL csrrci a0, mvendorid, 1
  TEST 17
  TRAP_ILLEGAL csrrwi a0, cycle, 0
  TEST 18
  TRAP_ILLEGAL csrw instret, a1
  TEST 19
  TRAP_ILLEGAL csrw time, a1
  TEST 20
  TRAP_ILLEGAL csrs cycle, a1
  TEST 21                           /* the failed write had no effect */
  csrr a0, mhartid
  EXPECT a0, 0

  /* ---- unimplemented CSR numbers ---- */
  TEST 22
  TRAP_ILLEGAL csrr a0, 0x7ff
  TEST 23
  TRAP_ILLEGAL csrr a0, 0x5ff
  TEST 24
  TRAP_ILLEGAL csrw 0x5ff, a1
  TEST 25
  TRAP_ILLEGAL csrrwi a0, 0x7ff, 3
  TEST 26                           /* destination unchanged by the trap */
  li a0, 1234
  TRAP CAUSE_ILLEGAL, csrr a0, 0x7ff
  EXPECT a0, 1234

  /* ---- misa: RV64 (MXL = 2) with I M A F D C S U ---- */
  TEST 27
  csrr a0, misa
  srli a1, a0, 62
  EXPECT a1, 2
  TEST 28
  /* letters only; H (bit 7) is ignored because QEMU 7.2 enables it by default */
  li a1, 0x3ffffff & ~(1 << 7)
  and a1, a0, a1
  EXPECT a1, (1 << ('I' - 'A')) | (1 << ('M' - 'A')) | (1 << ('A' - 'A')) | (1 << ('F' - 'A')) | (1 << ('D' - 'A')) | (1 << ('C' - 'A')) | (1 << ('S' - 'A')) | (1 << ('U' - 'A'))

  /* ---- sstatus is a restricted view of mstatus ---- */
  TEST 29
  li a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  csrc mstatus, a1
  li a1, MSTATUS_SIE
  csrs sstatus, a1
  csrr a0, mstatus
  andi a0, a0, MSTATUS_SIE
  EXPECT a0, MSTATUS_SIE
  TEST 30
  li a1, MSTATUS_MPP | MSTATUS_MPIE
  csrs mstatus, a1                  /* M-only fields are not visible... */
  csrr a0, sstatus
  and a0, a0, a1
  EXPECT a0, 0
  TEST 31
  csrc sstatus, a1                  /* ...nor writable through sstatus */
  csrr a0, mstatus
  and a0, a0, a1
  EXPECT_EQ a0, a1
  li a1, MSTATUS_SIE
  csrc sstatus, a1
  csrr a0, mstatus
  andi a0, a0, MSTATUS_SIE
  EXPECT a0, 0

  /* ---- CSR privilege: the number's bits 9:8 give the lowest level ---- */
  TEST 32
  ENTER_MODE PRV_S
  csrr a0, sscratch                 /* S CSR from S: fine */
  TRAP_ILLEGAL csrr a0, mscratch
  TEST 33
  TRAP_ILLEGAL csrw mstatus, zero
  TEST 34
  TRAP_ILLEGAL csrr a0, mhartid
  RETURN_TO_M
  TEST 35
  ENTER_MODE PRV_U
  TRAP_ILLEGAL csrr a0, sscratch
  TEST 36
  TRAP_ILLEGAL csrr a0, sstatus
  TEST 37
  TRAP_ILLEGAL csrr a0, mstatus
  RETURN_TO_M

  /* ---- last, because QEMU 7.2 gets it wrong: CSRRS/CSRRC whose rs1 is
     not x0 attempt a write even if the register holds 0, so they are
     illegal on a read-only CSR (on QEMU this file stops at check 38) ---- */
#ifndef QEMU_QUIRKS
  TEST 38
  li a1, 0
  TRAP_ILLEGAL csrrs a0, mhartid, a1
  TEST 39
  TRAP_ILLEGAL csrrc a0, cycle, a1
#endif
TEST_END

/*
 * Misaligned AMOs and SC: the spec (A extension, Zam absent) requires a
 * store/AMO address-misaligned exception (cause 6) with the address in
 * mtval, and the memory must not change.  An SC must trap even when it
 * would fail for lack of a reservation.
 *
 * QEMU 7.2 differs (it raises cause 4 for AMOs and lets a misaligned SC
 * fail silently), so on QEMU this file stops at check 1.  Building with
 * -DQEMU_QUIRKS accepts QEMU's behaviour, to validate the rest of the file.
 */
#include "test.h"

#ifdef QEMU_QUIRKS
#define AMO_MISALIGNED CAUSE_MISALIGNED_LOAD
#else
#define AMO_MISALIGNED CAUSE_MISALIGNED_STORE
#endif

/* `insn` at amo_buf + off must trap with cause, mtval = address. */
.macro TEST_MIS n, cause, off, insn:vararg
  TEST \n
  la a1, amo_buf
  addi a4, a1, \off
  TRAP \cause, \insn
  EXPECT_EQ s11, a4
  ld a0, 0(a1)
  EXPECT a0, 0x0123456789abcdef
  ld a0, 8(a1)
  EXPECT a0, 0xfedcba9876543210
.endm

TEST_BEGIN
  la a1, amo_buf
  li a0, 0x0123456789abcdef
  sd a0, 0(a1)
  li a0, 0xfedcba9876543210
  sd a0, 8(a1)
  li a2, 0x1111

  TEST_MIS  1, AMO_MISALIGNED, 2, amoadd.w a0, a2, (a4)
  TEST_MIS  2, AMO_MISALIGNED, 1, amoswap.w a0, a2, (a4)
  TEST_MIS  3, AMO_MISALIGNED, 4, amoswap.d a0, a2, (a4)
  TEST_MIS  4, AMO_MISALIGNED, 6, amoor.d a0, a2, (a4)     /* crosses into the next dword */
  TEST_MIS  5, AMO_MISALIGNED, 1, amomaxu.d.aqrl a0, a2, (a4)
  TEST_MIS  6, AMO_MISALIGNED, 3, amominu.w.aq a0, a2, (a4)
  TEST_MIS  7, AMO_MISALIGNED, 2, amoand.w a0, a2, (a4)
  TEST_MIS  8, AMO_MISALIGNED, 2, amoxor.d a0, a2, (a4)
#ifndef QEMU_QUIRKS
  TEST_MIS  9, CAUSE_MISALIGNED_STORE, 4, sc.d a0, a2, (a4)
  TEST_MIS 10, CAUSE_MISALIGNED_STORE, 2, sc.w a0, a2, (a4)
#endif
TEST_END

  .data
  .align 6
amo_buf:
  .dword 0, 0

/*
 * Shared harness for the Domus ISA tests in guests/isa.
 *
 * Each test is a bare-metal M-mode program linked at 0x80000000 (see
 * ../link.ld).  It reports through HTIF the way Spike does: store 1 to
 * `tohost` for pass, (testnum << 1) | 1 for a failure of check `testnum`.
 *
 * Register conventions (all tests):
 *   gp   number of the check in progress (1..254; 255 = failure outside a check)
 *   t6   scratch for the macros below: do not keep values in it across a macro
 *   s8   "a trap is expected": resume address for the trap handlers.
 *        0   = no trap expected: any trap fails the current check.
 *        odd = resume in M-mode at s8 - 1 (used to come back from S/U).
 *   mscratch, sscratch  used by the handlers as a scratch slot.
 *   s6, s7, s9, s10, s11  written by the trap handlers:
 *        s6 = level that took the trap (3 = M handler, 1 = S handler)
 *        s7 = mstatus / sstatus, s9 = xepc, s10 = xcause, s11 = xtval
 *
 * Validation builds only: -DQEMU_VIRT also reports through the sifive_test
 * device of QEMU's virt machine (which, unlike QEMU 7.2's spike machine,
 * has the time CSR and Sstc); -DQEMU_QUIRKS accepts documented QEMU 7.2
 * deviations from the spec.  The committed ELFs use neither.
 *
 * Usage:
 *   #include "test.h"
 *   TEST_BEGIN
 *     TEST 1
 *     ...checks...
 *   TEST_END
 */
#ifndef DOMUS_ISA_TEST_H
#define DOMUS_ISA_TEST_H

/* ---- CSR fields -------------------------------------------------------- */
#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_FS    (3 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_FS_CLEAN   (2 << 13)
#define MSTATUS_FS_DIRTY   (3 << 13)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)
#define MSTATUS_SD    (1 << 63)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3
#define MPP_SHIFT 11

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL          2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_U          8
#define CAUSE_ECALL_S          9
#define CAUSE_ECALL_M          11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT  13
#define CAUSE_STORE_PAGE_FAULT 15

#define INTERRUPT     (1 << 63)
#define IRQ_S_SOFT    1
#define IRQ_M_SOFT    3
#define IRQ_S_TIMER   5
#define IRQ_M_TIMER   7
#define MIP_SSIP      (1 << IRQ_S_SOFT)
#define MIP_MSIP      (1 << IRQ_M_SOFT)
#define MIP_STIP      (1 << IRQ_S_TIMER)
#define MIP_MTIP      (1 << IRQ_M_TIMER)

#include "clint.h"
#include "htif.h"

/* Page-table entries and satp. */
#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define SATP_SV39 (8 << 60)
#define SATP_SV48 (9 << 60)

/* fflags bits */
#define FFLAG_NX 1
#define FFLAG_UF 2
#define FFLAG_OF 4
#define FFLAG_DZ 8
#define FFLAG_NV 16

/* rounding modes (frm encodings) */
#define RM_RNE 0
#define RM_RTZ 1
#define RM_RDN 2
#define RM_RUP 3
#define RM_RMM 4

/* ---- Checks ------------------------------------------------------------ */

/* Start check number n (1..254; the exit status of the run is n). */
.macro TEST n
  .if (\n < 1) || (\n > 254)
  .error "test numbers must be 1..254: the HTIF exit status has 8 bits"
  .endif
  li gp, \n
.endm

/* Fail the current check unless reg == val (a 64-bit constant). */
.macro EXPECT reg, val
  li t6, \val
  beq \reg, t6, .Lok\@
  j fail
.Lok\@:
.endm

/* Fail unless the low 32 bits of reg, sign-extended, equal val. */
.macro EXPECTW reg, val
  li t6, \val
  addiw t6, t6, 0
  beq \reg, t6, .Lok\@
  j fail
.Lok\@:
.endm

/* Fail unless two registers are equal. */
.macro EXPECT_EQ ra_, rb_
  beq \ra_, \rb_, .Lok\@
  j fail
.Lok\@:
.endm

/* Fail if two registers are equal. */
.macro EXPECT_NE ra_, rb_
  bne \ra_, \rb_, .Lok\@
  j fail
.Lok\@:
.endm

/* One-shot register-register / register-immediate / unary operation checks.
   Operands go in a1, a2 (a3 for fused ops); the result lands in a0. */
.macro TEST_RR n, op, result, v1, v2
  TEST \n
  li a1, \v1
  li a2, \v2
  \op a0, a1, a2
  EXPECT a0, \result
.endm

.macro TEST_RI n, op, result, v1, imm
  TEST \n
  li a1, \v1
  \op a0, a1, \imm
  EXPECT a0, \result
.endm

.macro TEST_R n, op, result, v1
  TEST \n
  li a1, \v1
  \op a0, a1
  EXPECT a0, \result
.endm

/* ---- Traps ------------------------------------------------------------- */

/* Execute `insn`, which must trap with mcause/scause == cause at that very
   instruction; execution resumes after it.  Afterwards s11 = xtval. */
.macro TRAP cause, insn:vararg
  la s8, .Lresume\@
  li s10, -1
.Ltrap\@:
  \insn
  j fail
.Lresume\@:
  EXPECT s10, \cause
  la t6, .Ltrap\@
  EXPECT_EQ s9, t6
.endm

/* Same, and also check the trap value register (mtval / stval). */
.macro TRAP_TVAL cause, tval, insn:vararg
  TRAP \cause, \insn
  EXPECT s11, \tval
.endm

/* `insn` must raise an illegal-instruction exception whose trap value is
   the instruction's own encoding (16 or 32 bits, read back from memory). */
.macro TRAP_ILLEGAL insn:vararg
  TRAP CAUSE_ILLEGAL, \insn
  lwu t6, 0(s9)
  beq s11, t6, .Lill_ok\@
  slli t6, t6, 48                   /* a 16-bit instruction: low half only */
  srli t6, t6, 48
  bne s11, t6, .Lill_bad\@
  andi t6, t6, 3
  xori t6, t6, 3
  bnez t6, .Lill_ok\@
.Lill_bad\@:
  j fail
.Lill_ok\@:
.endm

/* Leave M-mode for privilege `mode` (PRV_S / PRV_U); continue at the next
   instruction.  Code and data must be reachable there (identity-mapped). */
.macro ENTER_MODE mode
  li t6, MSTATUS_MPP
  csrc mstatus, t6
  li t6, (\mode) << MPP_SHIFT
  csrs mstatus, t6
  la t6, .Lentered\@
  csrw mepc, t6
  mret
.Lentered\@:
.endm

/* From S or U, go back to M-mode and continue at the next instruction:
   an ECALL that the M handler turns into a jump (odd s8).  */
.macro RETURN_TO_M
  la s8, .Lback\@ + 1
  ecall
.Lback\@:
  li s8, 0
.endm

/* ---- Program frame ----------------------------------------------------- */

.macro TEST_BEGIN
  .section .text.init, "ax", @progbits
  .globl _start
_start:
  /* only hart 0 runs the test */
  csrr t0, mhartid
  bnez t0, park_hart
  li gp, 255
  li s8, 0
  la sp, test_stack_top
  /* PMP: give S and U access to everything, if PMP exists (else skip). */
  la t0, .Lpmp_done
  csrw mtvec, t0
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f                  /* NAPOT, R W X */
  csrw pmpcfg0, t0
  .align 2
.Lpmp_done:
  la t0, m_trap
  csrw mtvec, t0
  csrw medeleg, zero
  csrw mideleg, zero
  csrw mie, zero
  csrw satp, zero
  /* FPU usable from the start (FS = Initial); fpu tests change it. */
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, MSTATUS_FS_INITIAL
  csrs mstatus, t0
  csrw fcsr, zero
  j test_main

  /* Every trap that the test does not expect ends here as a failure. */
  .align 2
m_trap:
  li s6, 3
  csrr s7, mstatus
  csrr s9, mepc
  csrr s10, mcause
  csrr s11, mtval
  beqz s8, m_unexpected
  csrrw t6, mscratch, t6
  andi t6, s8, 1
  bnez t6, .Lm_to_m
  csrw mepc, s8
  li s8, 0
  csrrw t6, mscratch, t6
  mret
.Lm_to_m:
  /* resume in M-mode at s8 - 1 with translation of M accesses off */
  li t6, MSTATUS_MPRV
  csrc mstatus, t6
  addi s8, s8, -1
  csrrw t6, mscratch, t6
  jr s8

m_unexpected:
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  j report_fail

  /* S-mode handler for delegated traps (stvec = s_trap).  Unexpected
     traps and "resume in M" requests are passed to M with an ECALL from
     S, so ECALL-from-S (cause 9) must never be delegated. */
  .align 2
s_trap:
  li s6, 1
  csrr s7, sstatus
  csrr s9, sepc
  csrr s10, scause
  csrr s11, stval
  beqz s8, .Ls_unexpected
  csrrw t6, sscratch, t6
  andi t6, s8, 1
  bnez t6, .Ls_to_m
  csrrw t6, sscratch, t6
  csrw sepc, s8
  li s8, 0
  sret
.Ls_to_m:
  /* RETURN_TO_M from U with ECALL-from-U delegated: pass it on to M */
  csrrw t6, sscratch, t6
.Ls_unexpected:
  ecall

park_hart:
  wfi
  j park_hart

  .section .text, "ax", @progbits
  .align 2
test_main:
.endm

.macro TEST_END
  /* all checks passed (must be reached in M-mode) */
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
  fence
#ifdef QEMU_VIRT
  li t0, 0x5555                     /* validation only: sifive_test "pass" */
  li t1, 0x100000
  sw t0, 0(t1)
#endif
  li t0, 1
  la t1, tohost
  sd t0, 0(t1)
1:
  j 1b

  /* A failed check: report through the M handler, which works from any mode. */
fail:
  li s8, 0
  ecall
  j fail

report_fail:
  fence
  andi gp, gp, 0xff
  bnez gp, 2f
  li gp, 255
2:
#ifdef QEMU_VIRT
  slli t0, gp, 16                   /* validation only: sifive_test "fail" */
  li t1, 0x3333
  or t0, t0, t1
  li t1, 0x100000
  sw t0, 0(t1)
#endif
  slli t0, gp, 1
  ori t0, t0, 1
  la t1, tohost
  sd t0, 0(t1)
3:
  j 3b

  HTIF_WORDS

  .section .data, "aw", @progbits
  .align 4
test_stack:
  .zero 4096
test_stack_top:
  .section .text, "ax", @progbits
.endm

#endif

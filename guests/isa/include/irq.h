/*
 * Interrupt-test harness (irq_*.S).  Handler-owned registers, on top of
 * those of test.h:
 *   s1, s2  scratch in the handlers
 *   s3      cause of the last interrupt
 *   s4      number of interrupts taken
 *   s5      cursor into irq_log; each interrupt appends two dwords:
 *           the cause (| IRQ_AT_S if the S handler took it, | IRQ_VECTORED
 *           if it arrived through a vector slot) and mstatus/sstatus.
 * Handlers silence the source so that it does not fire again at once:
 *   MTI: mtimecmp = -1      MSI: msip = 0
 *   STI at M: clear mip.STIP and mie.STIE   STI at S: clear sie.STIE
 *   SSI: clear mip/sip.SSIP
 * Exceptions go on to the test.h handlers (m_trap / s_trap).
 * The macros below clobber t0, t1 and t6.
 */
#ifndef DOMUS_ISA_IRQ_H
#define DOMUS_ISA_IRQ_H

#define IRQ_AT_S     (1 << 61)
#define IRQ_VECTORED (1 << 62)
#define INT_MSI (INTERRUPT | IRQ_M_SOFT)
#define INT_MTI (INTERRUPT | IRQ_M_TIMER)
#define INT_SSI (INTERRUPT | IRQ_S_SOFT)
#define INT_STI (INTERRUPT | IRQ_S_TIMER)

/* install the direct-mode handlers and clear the log */
.macro IRQ_SETUP
  li s4, 0
  la s5, irq_log
  la t0, m_irq
  csrw mtvec, t0
  la t0, s_irq
  csrw stvec, t0
.endm

/* wait (bounded) until at least n interrupts have been taken */
.macro WAIT_IRQS n
  li t0, 50000000
.Lwait\@:
  li t6, \n
  bgeu s4, t6, .Lwaited\@
  addi t0, t0, -1
  bnez t0, .Lwait\@
  j fail
.Lwaited\@:
.endm

/* spin for a while: long enough for a pending, enabled interrupt to be taken */
.macro SPIN
  li t0, 2000
.Lspin\@:
  addi t0, t0, -1
  bnez t0, .Lspin\@
.endm

/* expect exactly n interrupts so far */
.macro EXPECT_IRQS n
  li t6, \n
  beq s4, t6, .Lcount\@
  j fail
.Lcount\@:
.endm

/* the k-th logged interrupt (0-based) had cause `val` */
.macro EXPECT_LOG k, val
  la t0, irq_log
  ld t0, (\k) * 16(t0)
  EXPECT t0, \val
.endm

/* a0 = xstatus saved with the k-th logged interrupt */
.macro LOG_STATUS k
  la a0, irq_log
  ld a0, (\k) * 16 + 8(a0)
.endm

/* mtimecmp = mtime + ticks (10 MHz) */
.macro TIMER_IN ticks
  li t0, CLINT_MTIME
  ld t1, 0(t0)
  li t0, \ticks
  add t1, t1, t0
  li t0, CLINT_MTIMECMP
  sd t1, 0(t0)
.endm

.macro TIMER_OFF
  li t0, CLINT_MTIMECMP
  li t1, -1
  sd t1, 0(t0)
.endm

.macro MSIP_SET val
  li t0, CLINT_MSIP
  li t1, \val
  sw t1, 0(t0)
.endm

/* Handlers and the log; place after TEST_END. */
.macro IRQ_HANDLERS
  .text
  .align 2
m_irq:
  csrr s3, mcause
  bltz s3, m_irq_record
  j m_trap
m_irq_record:
  sd s3, 0(s5)
  csrr s1, mstatus
  sd s1, 8(s5)
  addi s5, s5, 16
  addi s4, s4, 1
  andi s1, s3, 0x3f
  li s2, IRQ_M_TIMER
  bne s1, s2, 1f
  li s1, CLINT_MTIMECMP
  li s2, -1
  sd s2, 0(s1)
  mret
1:
  li s2, IRQ_M_SOFT
  bne s1, s2, 1f
  li s1, CLINT_MSIP
  sw zero, 0(s1)
  mret
1:
  li s2, IRQ_S_TIMER
  bne s1, s2, 1f
  li s2, MIP_STIP
  csrc mip, s2
  csrc mie, s2
  mret
1:
  li s2, IRQ_S_SOFT
  bne s1, s2, 1f
  li s2, MIP_SSIP
  csrc mip, s2
  mret
1:
  j fail                            /* no other interrupt is expected */

  /* vectored mode: slot i at base + 4 * i, each a 4-byte jump */
  .align 8
m_vec_table:
  .option push
  .option norvc
  j m_irq                           /* 0: exceptions */
  j m_vec_1
  j fail
  j m_vec_3
  j fail
  j m_vec_5
  j fail
  j m_vec_7
  j fail
  j fail
  j fail
  j fail
  .option pop
m_vec_1:
  li s1, 1
  j m_vec_common
m_vec_3:
  li s1, 3
  j m_vec_common
m_vec_5:
  li s1, 5
  j m_vec_common
m_vec_7:
  li s1, 7
m_vec_common:
  csrr s3, mcause
  bgez s3, m_vec_bad                /* exceptions must use slot 0 */
  andi s2, s3, 0x3f
  bne s1, s2, m_vec_bad             /* wrong slot */
  li s2, IRQ_VECTORED
  or s3, s3, s2
  j m_irq_record
m_vec_bad:
  j fail

  .align 2
s_irq:
  csrr s3, scause
  bltz s3, s_irq_record
  j s_trap
s_irq_record:
  li s1, IRQ_AT_S
  or s3, s3, s1
  sd s3, 0(s5)
  csrr s1, sstatus
  sd s1, 8(s5)
  addi s5, s5, 16
  addi s4, s4, 1
  andi s1, s3, 0x3f
  li s2, IRQ_S_TIMER
  bne s1, s2, 1f
  li s2, MIP_STIP                   /* STIP is read-only in sip: mask it */
  csrc sie, s2
  sret
1:
  li s2, IRQ_S_SOFT
  bne s1, s2, 1f
  li s2, MIP_SSIP
  csrc sip, s2
  sret
1:
  j fail

  .align 8
s_vec_table:
  .option push
  .option norvc
  j s_irq                           /* 0: exceptions */
  j s_vec_1
  j fail
  j fail
  j fail
  j s_vec_5
  j fail
  j fail
  j fail
  j fail
  .option pop
s_vec_1:
  li s1, 1
  j s_vec_common
s_vec_5:
  li s1, 5
s_vec_common:
  csrr s3, scause
  bgez s3, s_vec_bad
  andi s2, s3, 0x3f
  bne s1, s2, s_vec_bad
  li s2, IRQ_VECTORED
  or s3, s3, s2
  j s_irq_record
s_vec_bad:
  j fail

  .data
  .align 4
irq_log:
  .zero 16 * 64
.endm

#endif

/* CLINT as on Spike / QEMU virt and spike machines; mtime runs at 10 MHz. */
#ifndef DOMUS_ISA_CLINT_H
#define DOMUS_ISA_CLINT_H

#define CLINT_MSIP     0x2000000
#define CLINT_MTIMECMP 0x2004000
#define CLINT_MTIME    0x200bff8

/* A periodic machine timer: s1 = &mtime, s2 = &mtimecmp (hart 0), s4 = the period in ticks;
   the first deadline is one period away, and MTIE and MIE are turned on. */
.macro TIMER_START period
  li s1, CLINT_MTIME
  li s2, CLINT_MTIMECMP
  li s4, \period
  TIMER_NEXT
  li t0, 0x80               /* mie.MTIE */
  csrw mie, t0
  csrsi mstatus, 8          /* mstatus.MIE */
.endm

/* The next deadline, one period from now (what the timer handler does). */
.macro TIMER_NEXT
  ld t1, 0(s1)
  add t1, t1, s4
  sd t1, 0(s2)
.endm

#endif

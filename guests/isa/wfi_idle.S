/* An idle guest: sleeps in WFI between five machine-timer interrupts 200 ms apart (1 s in
   all), then passes. test/idle.test.ts checks that sleeping costs the host no CPU. */
#include "include/clint.h"
#include "include/htif.h"
  .section .text.init
  .globl _start
_start:
  csrr t0, mhartid
  bnez t0, park
  la t0, on_timer
  csrw mtvec, t0
  li s3, 5                  /* timer interrupts still to wait for */
  TIMER_START 2000000       /* 200 ms at 10 MHz */
sleep:
  wfi
  bnez s3, sleep
  li t0, 1
  la t1, tohost
  sd t0, 0(t1)
1: j 1b

  .align 2                  /* mtvec needs a 4-byte aligned handler */
on_timer:
  addi s3, s3, -1
  TIMER_NEXT
  mret

park:
  wfi
  j park

  HTIF_WORDS

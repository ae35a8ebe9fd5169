/* Probe (not an ISA test): an idle guest that never stops, the bare-metal counterpart of
   minios's `mode=idle tick=1000` for bench/idle-domains.ts. It prints one line on the virt
   board's 16550 UART, then sleeps in WFI between machine-timer interrupts 1 s apart, forever.
   (wfi_idle.S stops after 1 s and then spins, which on QEMU's virt board, without HTIF, costs
   a whole core.) */
#include "include/clint.h"
#include "include/htif.h"
  .section .text.init
  .globl _start
_start:
  csrr t0, mhartid
  bnez t0, park
  li s0, 0x10000000         /* UART0: THR at +0, LSR at +5 */
  la s1, message
putc:
  lbu t0, 0(s1)
  beqz t0, sleep_setup
1:
  lbu t1, 5(s0)
  andi t1, t1, 0x20         /* LSR.THRE: room for a byte */
  beqz t1, 1b
  sb t0, 0(s0)
  addi s1, s1, 1
  j putc

sleep_setup:
  la t0, on_timer
  csrw mtvec, t0
  TIMER_START 10000000      /* 1 s at 10 MHz */
sleep:
  wfi
  j sleep

  .align 2                  /* mtvec needs a 4-byte aligned handler */
on_timer:
  TIMER_NEXT
  mret

park:
  wfi
  j park

  .section .rodata
message: .asciz "idle: sleeping in wfi, timer every 1 s\n"

  HTIF_WORDS

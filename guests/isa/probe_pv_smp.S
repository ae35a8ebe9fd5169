/* Probe (not an ISA test): two vCPUs counting at once. vCPU 0 starts vCPU 1 through SBI HSM;
   both then add 1 to two shared counters ROUNDS times each, one with amoadd.d and one with an
   lr.d/sc.d loop, with private work between the updates. Halfway each reads the UART's line
   status register, a device access that a lane hands back to the machine's own instance
   (kernel/cpu/lanes.ts), and checks it says the transmitter is empty. vCPU 1 then raises a flag
   (after a fence) and stops; vCPU 0 waits for the flag and checks that each counter holds
   2 * ROUNDS: no update was lost, whether the vCPUs took turns or ran at once on two pCPUs.
   It prints "smp ok" and powers off, or crashes on a mismatch. */
#include "include/pv.h"
#define EXT_HSM 0x48534d
#define ROUNDS 3000000
#define WORK 48                     /* private iterations between two shared updates */
#define UART_LSR 5
#define LSR_THRE 0x20

  .section .text.init
  .globl _start
_start:
  li a7, EXT_HSM
  li a6, 0                          /* hart_start(1, second, 0) */
  li a0, 1
  la a1, second
  li a2, 0
  ecall
  bnez a0, crash
  call count
  la t0, flag
wait:
  ld t1, 0(t0)
  beqz t1, wait
  fence rw, rw
  li t2, 2 * ROUNDS
  la t0, amo_counter
  ld t1, 0(t0)
  bne t1, t2, crash
  la t0, lrsc_counter
  ld t1, 0(t0)
  bne t1, t2, crash
  PV_PRINT ok, ok_end
  PV_SHUTDOWN SHUTDOWN_poweroff
crash:
  PV_SHUTDOWN SHUTDOWN_crash

second:
  call count
  fence rw, rw
  la t0, flag
  li t1, 1
  sd t1, 0(t0)
  li a7, EXT_HSM
  li a6, 1                          /* hart_stop */
  ecall
  j crash

/* ROUNDS times: private work, then one amoadd.d and one lr/sc increment. */
count:
  la t0, amo_counter
  la t4, lrsc_counter
  li t1, ROUNDS
  li t2, 1
1:
  li t5, WORK
2:
  addi t6, t6, 3
  addi t5, t5, -1
  bnez t5, 2b
  amoadd.d zero, t2, (t0)
3:
  lr.d t3, (t4)
  addi t3, t3, 1
  sc.d t5, t3, (t4)
  bnez t5, 3b
  li t5, ROUNDS / 2
  bne t1, t5, 4f
  li t5, UART_BASE                  /* halfway: a device register */
  lbu t5, UART_LSR(t5)
  andi t5, t5, LSR_THRE
  beqz t5, crash
4:
  addi t1, t1, -1
  bnez t1, 1b
  ret

  .section .rodata
ok: .ascii "smp ok\n"
ok_end:

  .section .data
  .align 6
amo_counter: .dword 0
  .align 6
lrsc_counter: .dword 0
  .align 6
flag: .dword 0

/* An idle guest: sleeps in WFI between five machine-timer interrupts 200 ms apart (1 s in
   all), then passes. test/idle.test.ts checks that sleeping costs the host no CPU. */
  .section .text.init
  .globl _start
_start:
  csrr t0, mhartid
  bnez t0, park
  la t0, on_timer
  csrw mtvec, t0
  li s1, 0x200bff8          /* CLINT mtime */
  li s2, 0x2004000          /* CLINT mtimecmp, hart 0 */
  li s3, 5                  /* timer interrupts still to wait for */
  li s4, 2000000            /* 200 ms at 10 MHz */
  ld t1, 0(s1)
  add t1, t1, s4
  sd t1, 0(s2)
  li t0, 0x80               /* mie.MTIE */
  csrw mie, t0
  csrsi mstatus, 8          /* mstatus.MIE */
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
  ld t1, 0(s1)
  add t1, t1, s4
  sd t1, 0(s2)
  mret

park:
  wfi
  j park

  .section .tohost, "aw", @progbits
  .align 3
  .globl tohost
tohost: .dword 0
  .size tohost, 8
  .globl fromhost
fromhost: .dword 0
  .size fromhost, 8

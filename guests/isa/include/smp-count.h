/* The counting both SMP probes run on each hart (probe_pv_smp.S on Domus, probe_smp_count.S, its
   bare-metal twin, on QEMU): ROUNDS times, WORK private iterations, then one amoadd.d on
   amo_counter and one lr.d/sc.d increment of lrsc_counter; halfway, a read of the 16550 UART's
   line status register, which must say the transmitter is empty (on Domus a device access that
   a lane hands back to the machine's own instance, kernel/cpu/lanes.ts). Jumps to `crash` if it
   does not. Uses t0-t6. */
#define SMP_ROUNDS 3000000
#define SMP_WORK 48
#define UART_LSR 5
#define LSR_THRE 0x20

.macro SMP_COUNT_FUNCTION
smp_count:
  la t0, amo_counter
  la t4, lrsc_counter
  li t1, SMP_ROUNDS
  li t2, 1
1:
  li t5, SMP_WORK
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
  li t5, SMP_ROUNDS / 2
  bne t1, t5, 4f
  li t5, 0x10000000
  lbu t5, UART_LSR(t5)
  andi t5, t5, LSR_THRE
  beqz t5, crash
4:
  addi t1, t1, -1
  bnez t1, 1b
  ret
.endm

/* Both counters must hold 2 * SMP_ROUNDS once both harts are done; else `crash`. */
.macro SMP_CHECK_COUNTERS
  fence rw, rw
  li t2, 2 * SMP_ROUNDS
  la t0, amo_counter
  ld t1, 0(t0)
  bne t1, t2, crash
  la t0, lrsc_counter
  ld t1, 0(t0)
  bne t1, t2, crash
.endm

/* The shared counters and the done flag, each on a cache line of its own. */
.macro SMP_DATA
  .section .data
  .align 6
amo_counter: .dword 0
  .align 6
lrsc_counter: .dword 0
  .align 6
flag: .dword 0
.endm

/* The timer is one-shot: the interrupt handler disarms it (stimecmp = all ones, which time
 * never reaches) and records that it fired; the main flow re-arms it for the next deadline. */
#include "arch.h"
#include "timer.h"

#define NEVER UINT64_MAX

static uint64_t hz;
static uint32_t fired; /* a word, so the handler and main flow use plain AMOs */

void timer_init(uint64_t timebase_hz) {
    hz = timebase_hz;
    csr_write(CSR_STIMECMP, NEVER);
    csr_set("sie", BIT(IRQ_S_TIMER));
}

uint64_t timer_now(void) { return csr_read("time"); }

/* ms is bounded by the command-line parser (a day at most), so this cannot overflow for any
 * plausible timebase (up to ~200 GHz). */
uint64_t timer_ms(uint64_t ms) { return ms * hz / 1000; }

void timer_arm(uint64_t deadline) {
    /* Masked, so an interrupt for the old deadline cannot land between the two writes and
     * look like this deadline's. */
    uint64_t s = irq_save();
    csr_write(CSR_STIMECMP, deadline);
    __atomic_store_n(&fired, 0, __ATOMIC_SEQ_CST);
    irq_restore(s);
}

bool timer_take(void) { return __atomic_exchange_n(&fired, 0, __ATOMIC_SEQ_CST) != 0; }

bool timer_fired(void) { return __atomic_load_n(&fired, __ATOMIC_SEQ_CST) != 0; }

void timer_interrupt(void) {
    csr_write(CSR_STIMECMP, NEVER);
    __atomic_store_n(&fired, 1, __ATOMIC_SEQ_CST);
}

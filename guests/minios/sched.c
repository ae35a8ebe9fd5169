/* Sleeping is race-free because interrupt handlers only set flags: with interrupts masked we
 * check the flags, then block; the hypervisor returns from SCHEDOP_block at once if an event
 * or the timer is already pending, and unmasking afterwards runs the handlers. */
#include <stddef.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "events.h"
#include "hypercall.h"
#include "sched.h"
#include "timer.h"

struct sched_shutdown {
    uint32_t reason;
};

void sched_yield(void) { hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0); }

void (*sched_wake_hook)(void);

void sched_wait(void) {
    uint64_t s = irq_save();
    if (!events_any() && !timer_fired()) {
        /* wfi waits the same way (for an interrupt enabled in sie, whatever sstatus.SIE
         * says); it is the fallback should the hypervisor refuse the block. */
        if (hypercall(HYPERVISOR_sched_op, SCHEDOP_block, 0, 0) < 0) __asm__ volatile("wfi");
    }
    irq_restore(s);
    if (sched_wake_hook != NULL) sched_wake_hook();
}

void sched_shutdown(uint32_t reason) {
    struct sched_shutdown op = {reason};
    hypercall(HYPERVISOR_sched_op, SCHEDOP_shutdown, gpa(&op), 0);
    /* A shut-down domain is not scheduled again; if the call failed, stop here, quietly:
     * with nothing enabled in sie, no pending interrupt can end the wfi. */
    csr_clear("sstatus", SSTATUS_SIE);
    csr_write("sie", 0);
    for (;;) __asm__ volatile("wfi");
}

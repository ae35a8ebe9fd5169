/* Trap dispatch, called from the assembly vector with interrupts masked. Interrupts hand
 * work to the main flow; any exception is a bug in minios, so it is reported and the
 * domain crashes (on_crash decides what happens next). */
#include "../include/domus-abi.h"
#include "arch.h"
#include "console.h"
#include "events.h"
#include "sched.h"
#include "timer.h"

void trap(uint64_t scause, uint64_t sepc, uint64_t stval) {
    if (scause & SCAUSE_INTERRUPT) {
        switch (scause & ~SCAUSE_INTERRUPT) {
        case IRQ_S_TIMER:
            timer_interrupt();
            return;
        case IRQ_S_EXT:
            events_upcall();
            return;
        case IRQ_S_SOFT:
            /* Not used (one vCPU), but acknowledge one so it cannot repeat forever. */
            csr_clear("sip", BIT(IRQ_S_SOFT));
            return;
        }
    }
    /* The ring's backend might be what is broken; console_io reaches the console directly. */
    console_use_hypercall();
    printk("minios: fatal trap: scause=0x%lx sepc=0x%lx stval=0x%lx\n", scause, sepc, stval);
    sched_shutdown(SHUTDOWN_crash);
}

/* vCPU hotplug: see vcpus.h. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "console.h"
#include "format.h"
#include "hypercall.h"
#include "sbi.h"
#include "str.h"
#include "vcpus.h"
#include "xenstore.h"

#define STACK_SIZE 1024
/* How often vCPU 0 yields to a vCPU it asked to stop before it reports a failure. */
#define STOP_TRIES 1000

static unsigned nr_vcpus = 1;
/* Set by vCPU 0, then an IPI: the vCPU stops itself. A word each, for plain AMOs. */
static uint32_t stop_asked[MAX_HARTS];
static uint8_t stacks[MAX_HARTS][STACK_SIZE] __attribute__((aligned(16)));

extern char vcpu_entry[];

static long hart_status(unsigned v) {
    long status;
    long err = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, v, 0, 0, &status);
    return err < 0 ? err : status;
}

void vcpus_watch_nowait(const struct boot_info *b) {
    if (b->store_ring == NULL || b->store_port == 0) return;
    while (nr_vcpus < MAX_HARTS && hart_status(nr_vcpus) >= 0) nr_vcpus++;
    if (nr_vcpus > 1) xs_watch_nowait(VCPUS_PATH, VCPUS_TOKEN);
}

/* A secondary vCPU, entered from vcpu_entry (start.S) on its own stack: wait, interrupts masked,
 * for vCPU 0's IPI; stop when asked. */
__attribute__((noreturn)) void vcpu_main(uint64_t v) {
    csr_write("sie", BIT(IRQ_S_SOFT));
    for (;;) {
        __asm__ volatile("wfi");
        /* Cleared before the flag is read: an IPI sent after it was set is never missed. */
        csr_clear("sip", BIT(IRQ_S_SOFT));
        if (__atomic_exchange_n(&stop_asked[v], 0, __ATOMIC_SEQ_CST) != 0) {
            sbi_call(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0, NULL);
        }
    }
}

static void bring_up(unsigned v) {
    uintptr_t stack_top = (uintptr_t)stacks[v] + STACK_SIZE;
    long err = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, v, (uintptr_t)vcpu_entry, stack_top, NULL);
    if (err < 0) printk("minios: vCPU %u FAILED: hart_start: SBI error %ld\n", v, err);
    else printk("minios: vCPU %u online\n", v);
}

static void take_down(unsigned v) {
    __atomic_store_n(&stop_asked[v], 1, __ATOMIC_SEQ_CST);
    long err = sbi_call(SBI_EXT_IPI, 0, 1UL << v, 0, 0, NULL);
    if (err < 0) {
        printk("minios: vCPU %u FAILED: send_ipi: SBI error %ld\n", v, err);
        return;
    }
    /* It runs when vCPU 0 lets it: yield until it has stopped. */
    for (int i = 0; i < STOP_TRIES; i++) {
        if (hart_status(v) == SBI_HSM_STOPPED) {
            printk("minios: vCPU %u offline\n", v);
            return;
        }
        hypercall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
    }
    printk("minios: vCPU %u FAILED: it did not stop\n", v);
}

void vcpus_check(void) {
    for (unsigned v = 1; v < nr_vcpus; v++) {
        char path[32], value[16];
        format(path, sizeof path, VCPUS_PATH "/%u/availability", v);
        if (xs_read(path, value, sizeof value) < 0) continue; /* not said: left as it is */
        bool want = str_eq(value, "online");
        if (!want && !str_eq(value, "offline")) {
            printk("minios: vCPU %u FAILED: %s is \"%s\", not online or offline\n", v, path, value);
            continue;
        }
        bool up = hart_status(v) != SBI_HSM_STOPPED;
        if (want && !up) bring_up(v);
        else if (!want && up) take_down(v);
    }
}

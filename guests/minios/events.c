/* Event channels over shared_info's 2-level bitmaps (evtchn_pending_sel selects words of
 * evtchn_pending), as in Xen. Bits in shared pages are changed with AMOs only: the hypervisor
 * sets them concurrently. */
#include <stddef.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "events.h"
#include "hypercall.h"

#define WORDS (NR_EVENT_CHANNELS / 64)

/* Xen's argument layouts (xen/include/public/event_channel.h). */
struct evtchn_alloc_unbound {
    uint16_t dom, remote_dom;
    uint32_t port; /* out */
};
struct evtchn_bind_interdomain {
    uint16_t remote_dom;
    uint32_t remote_port;
    uint32_t local_port; /* out */
};
struct evtchn_port {
    uint32_t port; /* evtchn_send, evtchn_unmask */
};
_Static_assert(offsetof(struct evtchn_bind_interdomain, local_port) == 8, "Xen layout");

static volatile uint8_t *vcpu_info;
static volatile uint64_t *pending; /* shared_info.evtchn_pending */
static uint64_t watched[WORDS];
static uint64_t fired[WORDS]; /* set by the handler, cleared by the main flow: AMOs too */

static uint64_t bit(uint32_t port) { return 1UL << (port % 64); }

void events_init(volatile uint8_t *shared_info, uint64_t vcpu) {
    vcpu_info = shared_info + SH_VCPU_INFO + vcpu * VCPU_INFO_SIZE;
    pending = (volatile uint64_t *)(shared_info + SH_EVTCHN_PENDING);
    /* Xen starts a vCPU with upcalls masked; open them, then let the interrupt through. */
    vcpu_info[VI_UPCALL_MASK] = 0;
    mb();
    csr_set("sie", BIT(IRQ_S_EXT));
}

long events_watch(uint32_t port) {
    if (port == 0 || port >= NR_EVENT_CHANNELS) return -XEN_EINVAL;
    __atomic_fetch_or(&watched[port / 64], bit(port), __ATOMIC_SEQ_CST);
    struct evtchn_port op = {port};
    return hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_unmask, gpa(&op), 0);
}

bool events_take(uint32_t port) {
    if (port >= NR_EVENT_CHANNELS) return false;
    return (__atomic_fetch_and(&fired[port / 64], ~bit(port), __ATOMIC_SEQ_CST) & bit(port)) != 0;
}

bool events_any(void) {
    for (unsigned w = 0; w < WORDS; w++)
        if (READ_ONCE(fired[w]) != 0) return true;
    return false;
}

void events_discard(uint32_t port) {
    if (port >= NR_EVENT_CHANNELS) return;
    uint64_t s = irq_save();
    __atomic_fetch_and(&pending[port / 64], ~bit(port), __ATOMIC_SEQ_CST);
    __atomic_fetch_and(&fired[port / 64], ~bit(port), __ATOMIC_SEQ_CST);
    irq_restore(s);
}

void events_upcall(void) {
    /* Clear the summary flag first: an event raised while we scan sets it again, and we are
     * interrupted once more rather than losing it. */
    WRITE_ONCE(vcpu_info[VI_UPCALL_PENDING], 0);
    mb();
    volatile uint64_t *sel_word = (volatile uint64_t *)(vcpu_info + VI_PENDING_SEL);
    volatile uint64_t *mask = pending + (SH_EVTCHN_MASK - SH_EVTCHN_PENDING) / 8;
    uint64_t sel = __atomic_exchange_n(sel_word, 0, __ATOMIC_SEQ_CST);
    while (sel != 0) {
        unsigned w = (unsigned)__builtin_ctzl(sel);
        sel &= sel - 1;
        if (w >= WORDS) continue;
        /* Masked events stay pending: unmasking re-raises them. */
        uint64_t ready = READ_ONCE(pending[w]) & ~READ_ONCE(mask[w]);
        if (ready == 0) continue;
        ready &= __atomic_fetch_and(&pending[w], ~ready, __ATOMIC_SEQ_CST);
        uint64_t keep = ready & READ_ONCE(watched[w]);
        if (keep != 0) __atomic_fetch_or(&fired[w], keep, __ATOMIC_SEQ_CST);
    }
}

long events_send(uint32_t port) {
    struct evtchn_port op = {port};
    return hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_send, gpa(&op), 0);
}

long events_alloc_unbound(uint32_t remote_dom, uint32_t *port) {
    struct evtchn_alloc_unbound op = {.dom = DOMID_SELF, .remote_dom = (uint16_t)remote_dom};
    long rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, gpa(&op), 0);
    *port = op.port;
    return rc;
}

long events_bind_interdomain(uint32_t remote_dom, uint32_t remote_port, uint32_t *local_port) {
    struct evtchn_bind_interdomain op = {.remote_dom = (uint16_t)remote_dom, .remote_port = remote_port};
    long rc = hypercall(HYPERVISOR_event_channel_op, EVTCHNOP_bind_interdomain, gpa(&op), 0);
    *local_port = op.local_port;
    return rc;
}

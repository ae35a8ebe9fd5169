/* The balloon: see balloon.h. minios allocates nothing at run time, so its free RAM is fixed at
 * boot: every page of [RAM_BASE, RAM_BASE + max_pages) but its image and what the hypervisor
 * handed over there. max_pages is the domain's maximum reservation (its maxmem); the pages from
 * start_info's nr_pages up to it are not populated at boot, so they start out given back. The
 * pages given back are always the top `out` free pages, so a count is all the state there is:
 * giving back takes the next ones down, taking back the lowest given (the most recently
 * released) first. */
#include <stdbool.h>
#include <stddef.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "balloon.h"
#include "console.h"
#include "fdt.h"
#include "hypercall.h"
#include "str.h"
#include "xenbus.h"
#include "xenstore.h"

extern char __image_start[], __image_end[];

/* Xen's struct xen_memory_reservation (xen/include/public/memory.h), extent_start as the
 * guest-physical address of a u64 gpfn array. */
struct xen_memory_reservation {
    uint64_t extent_start;
    uint64_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;
    uint16_t domid;
};
_Static_assert(offsetof(struct xen_memory_reservation, extent_start) == XENMEM_RES_EXTENT_START, "Xen layout");
_Static_assert(offsetof(struct xen_memory_reservation, nr_extents) == XENMEM_RES_NR_EXTENTS, "Xen layout");
_Static_assert(offsetof(struct xen_memory_reservation, extent_order) == XENMEM_RES_EXTENT_ORDER, "Xen layout");
_Static_assert(offsetof(struct xen_memory_reservation, mem_flags) == XENMEM_RES_MEM_FLAGS, "Xen layout");
_Static_assert(offsetof(struct xen_memory_reservation, domid) == XENMEM_RES_DOMID, "Xen layout");
_Static_assert(sizeof(struct xen_memory_reservation) == XENMEM_RESERVATION_SIZE, "Xen layout");

#define KIB_PER_PAGE (PAGE_SIZE / 1024)
/* Pages per hypercall: 4 KiB of gpfns, as Linux's balloon batches a page's worth. */
#define BATCH 512
/* What minios keeps inside RAM: its image, the device tree, start_info, shared_info and the
 * console and store rings (the last four are above max_pages on Domus; listed in case a layout
 * puts one lower). Free RAM is what is left: at most one range more than these. */
#define USED_MAX 6
#define RANGES_MAX (USED_MAX + 1)

struct pages { uint64_t lo, hi; }; /* gpfns [lo, hi) */

static struct pages ranges[RANGES_MAX]; /* free RAM, ascending */
static unsigned nranges;
static uint64_t max_pages, free_pages, out; /* out: pages given back, the top `out` free ones */
static uint64_t gpfns[BATCH];

static uint64_t page_down(uintptr_t a) { return a >> PAGE_SHIFT; }
static uint64_t page_up(uintptr_t a) { return (a + PAGE_SIZE - 1) >> PAGE_SHIFT; }

void balloon_init(const struct boot_info *b) {
    uint16_t self = DOMID_SELF;
    long max = hypercall(HYPERVISOR_memory_op, XENMEM_maximum_reservation, gpa(&self), 0);
    max_pages = max > (long)b->nr_pages ? (uint64_t)max : b->nr_pages;
    out = max_pages - b->nr_pages;
    uint64_t ram_lo = RAM_BASE >> PAGE_SHIFT, ram_hi = ram_lo + max_pages;
    uintptr_t dtb = (uintptr_t)b->dtb;
    struct pages used[USED_MAX] = {
        {page_down((uintptr_t)__image_start), page_up((uintptr_t)__image_end)}, /* text .. stack */
        {page_down(dtb), page_up(dtb + fdt_size(b->dtb))}, /* b->cmdline may point into it */
        {page_down((uintptr_t)b->start_info), page_down((uintptr_t)b->start_info) + 1},
        {page_down((uintptr_t)b->shared_info), page_down((uintptr_t)b->shared_info) + 1},
        {page_down((uintptr_t)b->console_ring), page_down((uintptr_t)b->console_ring) + 1},
        {page_down((uintptr_t)b->store_ring), page_down((uintptr_t)b->store_ring) + 1},
    };
    /* Sorted by start, the gaps between them within RAM are the free ranges. */
    for (unsigned i = 1; i < USED_MAX; i++)
        for (unsigned j = i; j > 0 && used[j].lo < used[j - 1].lo; j--) {
            struct pages t = used[j];
            used[j] = used[j - 1];
            used[j - 1] = t;
        }
    uint64_t at = ram_lo;
    for (unsigned i = 0; i <= USED_MAX; i++) {
        uint64_t end = i < USED_MAX ? used[i].lo : ram_hi;
        if (end > ram_hi) end = ram_hi;
        if (end > at) {
            ranges[nranges++] = (struct pages){at, end};
            free_pages += end - at;
        }
        if (i < USED_MAX && used[i].hi > at) at = used[i].hi;
    }
}

void balloon_watch_nowait(const struct boot_info *b) {
    if (b->store_ring == NULL || b->store_port == 0) return;
    xs_watch_nowait(BALLOON_PATH, BALLOON_TOKEN);
}

/* The i-th free page counting down from the top (0: the highest). */
static uint64_t free_page(uint64_t i) {
    for (unsigned r = nranges; r-- > 0;) {
        uint64_t n = ranges[r].hi - ranges[r].lo;
        if (i < n) return ranges[r].hi - 1 - i;
        i -= n;
    }
    return 0; /* not reached: callers stay below free_pages */
}

/* One decrease_reservation or populate_physmap of gpfns[0..n); returns how many were done, and
 * prints why if not all. */
static uint64_t reservation(unsigned op, const char *name, uint64_t n) {
    struct xen_memory_reservation r = {
        .extent_start = gpa(gpfns), .nr_extents = n, .extent_order = 0, .mem_flags = 0, .domid = DOMID_SELF,
    };
    long rc = hypercall(HYPERVISOR_memory_op, op, gpa(&r), 0);
    if (rc == (long)n) return n;
    printk("minios: balloon FAILED: %s of %lu pages returned %ld\n", name, (unsigned long)n, rc);
    return rc > 0 && (uint64_t)rc < n ? (uint64_t)rc : 0; /* done in order: the first rc pages */
}

/* Moves towards `target_kib` (in whole pages), within [what minios keeps, max_pages]. */
static void balloon_set(uint64_t target_kib) {
    uint64_t target = target_kib / KIB_PER_PAGE;
    uint64_t floor = max_pages - free_pages, start = max_pages - out;
    uint64_t want = target < floor ? floor : target > max_pages ? max_pages : target;
    bool failed = false, called = false;
    while (!failed && max_pages - out > want) {
        uint64_t n = max_pages - out - want;
        if (n > BATCH) n = BATCH;
        for (uint64_t i = 0; i < n; i++) gpfns[i] = free_page(out + i);
        uint64_t done = reservation(XENMEM_decrease_reservation, "decrease_reservation", n);
        called = true;
        out += done;
        failed = done != n;
    }
    while (!failed && max_pages - out < want) {
        uint64_t n = want - (max_pages - out);
        if (n > BATCH) n = BATCH;
        for (uint64_t i = 0; i < n; i++) gpfns[i] = free_page(out - 1 - i);
        uint64_t done = reservation(XENMEM_populate_physmap, "populate_physmap", n);
        called = true;
        out -= done;
        failed = done != n;
    }
    uint64_t now = max_pages - out;
    /* A target minios cannot reach is reported even when it is already as low as it goes. */
    if (target < floor && now == floor)
        printk("minios: balloon %lu KiB (target %lu KiB is below what minios uses)\n",
               (unsigned long)(now * KIB_PER_PAGE), (unsigned long)target_kib);
    else if (now != start)
        printk("minios: balloon %lu KiB\n", (unsigned long)(now * KIB_PER_PAGE));
    if (!called) return;
    /* The hypervisor's count must be ours: a mismatch means pages went missing or were doubled. */
    uint16_t self = DOMID_SELF;
    long pages = hypercall(HYPERVISOR_memory_op, XENMEM_current_reservation, gpa(&self), 0);
    if (pages != (long)now)
        printk("minios: balloon FAILED: current_reservation is %ld pages, minios counts %lu\n", pages, (unsigned long)now);
}

void balloon_check(void) {
    char value[32];
    uint64_t kib;
    if (xs_read(BALLOON_PATH, value, sizeof value) < 0) {
        /* No target (yet): nothing is asked of the balloon. */
        if (!str_eq(xs_error(), "ENOENT")) printk("minios: balloon FAILED: read " BALLOON_PATH ": %s\n", xs_error());
        return;
    }
    if (!xenbus_parse_u64(value, &kib)) {
        printk("minios: balloon FAILED: " BALLOON_PATH " is \"%s\", not KiB\n", value);
        return;
    }
    balloon_set(kib);
}

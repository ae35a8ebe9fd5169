/* The grant table lives in frames the hypervisor owns (among the special pages); setup_table
 * tells us which. An entry is published by writing domid and frame first and the flags last,
 * so the hypervisor never sees a valid entry with stale contents. */
#include <stddef.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "gnttab.h"
#include "hypercall.h"

#define ENTRIES_PER_FRAME (PAGE_SIZE / GRANT_ENTRY_V1_SIZE)

/* Xen's argument layouts (xen/include/public/grant_table.h), frame_list as a guest-physical
 * address of a u64 array. */
struct gnttab_setup_table {
    uint16_t dom;
    uint32_t nr_frames;
    int16_t status; /* out */
    uint64_t frame_list;
};
struct gnttab_copy_ptr {
    uint64_t ref_or_gmfn;
    uint16_t domid;
    uint16_t offset;
};
struct gnttab_copy {
    struct gnttab_copy_ptr source, dest;
    uint16_t len, flags;
    int16_t status; /* out */
};
_Static_assert(offsetof(struct gnttab_setup_table, frame_list) == 16, "Xen layout");
_Static_assert(offsetof(struct gnttab_copy, status) == 36 && sizeof(struct gnttab_copy) == 40, "Xen layout");

static uint64_t frames[GRANT_TABLE_FRAMES];

long gnttab_init(void) {
    struct gnttab_setup_table op = {
        .dom = DOMID_SELF, .nr_frames = GRANT_TABLE_FRAMES, .frame_list = gpa(frames),
    };
    long rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_setup_table, gpa(&op), 1);
    return rc != 0 ? rc : op.status;
}

static volatile uint8_t *entry(uint32_t ref) {
    uint64_t frame = frames[ref / ENTRIES_PER_FRAME];
    return (volatile uint8_t *)(uintptr_t)((frame << PAGE_SHIFT) + (ref % ENTRIES_PER_FRAME) * GRANT_ENTRY_V1_SIZE);
}

long gnttab_grant(uint32_t ref, uint32_t domid, const void *page, bool readonly) {
    if (ref >= GRANT_TABLE_FRAMES * ENTRIES_PER_FRAME) return -XEN_EINVAL;
    volatile uint8_t *e = entry(ref);
    *(volatile uint16_t *)(e + GE_DOMID) = (uint16_t)domid;
    *(volatile uint32_t *)(e + GE_FRAME) = (uint32_t)(gpa(page) >> PAGE_SHIFT);
    wmb();
    *(volatile uint16_t *)(e + GE_FLAGS) = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0));
    return 0;
}

long gnttab_copy_from(uint32_t domid, uint32_t ref, void *dest, uint16_t len) {
    struct gnttab_copy op = {
        .source = {.ref_or_gmfn = ref, .domid = (uint16_t)domid},
        .dest = {.ref_or_gmfn = gpa(dest) >> PAGE_SHIFT, .domid = DOMID_SELF,
                 .offset = (uint16_t)(gpa(dest) % PAGE_SIZE)},
        .len = len,
        .flags = GNTCOPY_source_gref,
    };
    long rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_copy, gpa(&op), 1);
    return rc != 0 ? rc : op.status;
}

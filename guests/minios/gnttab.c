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
struct gnttab_map_grant_ref {
    uint64_t host_addr;
    uint32_t flags;
    uint32_t ref;
    uint16_t dom;
    int16_t status;  /* out */
    uint32_t handle; /* out */
    uint64_t dev_bus_addr;
};
struct gnttab_unmap_grant_ref {
    uint64_t host_addr;
    uint64_t dev_bus_addr;
    uint32_t handle;
    int16_t status; /* out */
};
_Static_assert(offsetof(struct gnttab_setup_table, frame_list) == 16, "Xen layout");
_Static_assert(offsetof(struct gnttab_map_grant_ref, status) == GNTMAP_STATUS &&
               offsetof(struct gnttab_map_grant_ref, handle) == GNTMAP_HANDLE &&
               sizeof(struct gnttab_map_grant_ref) == GNTTAB_MAP_SIZE, "Xen layout");
_Static_assert(offsetof(struct gnttab_unmap_grant_ref, handle) == GNTUNMAP_HANDLE &&
               offsetof(struct gnttab_unmap_grant_ref, status) == GNTUNMAP_STATUS &&
               sizeof(struct gnttab_unmap_grant_ref) == GNTTAB_UNMAP_SIZE, "Xen layout");
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

long gnttab_map(uint32_t domid, uint32_t ref, void *at, bool readonly, uint32_t *handle) {
    struct gnttab_map_grant_ref op = {
        .host_addr = gpa(at), .flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0), .ref = ref,
        .dom = (uint16_t)domid,
    };
    long rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, gpa(&op), 1);
    if (rc != 0) return rc;
    *handle = op.handle;
    return op.status;
}

long gnttab_unmap(void *at, uint32_t handle) {
    struct gnttab_unmap_grant_ref op = {.host_addr = gpa(at), .handle = handle};
    long rc = hypercall(HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, gpa(&op), 1);
    return rc != 0 ? rc : op.status;
}

uint16_t gnttab_flags(uint32_t ref) {
    return *(volatile uint16_t *)(entry(ref) + GE_FLAGS);
}

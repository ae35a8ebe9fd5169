/* Reading the handover: start_info (a2 at entry) for the PV pages and event channels, the
 * device tree (a1) for the timer frequency and, if start_info has none, the command line. */
#include <stddef.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "boot.h"
#include "fdt.h"

extern char __image_end[];

#define SI(type, off) (*(volatile type *)(start_info + (off)))

static int magic_ok(volatile uint8_t *start_info) {
    const char *want = START_INFO_MAGIC;
    for (unsigned i = 0; want[i] != '\0'; i++)
        if (start_info[SI_MAGIC + i] != (uint8_t)want[i]) return 0;
    return 1;
}

static uint64_t dt_timebase(const void *dtb) {
    uint32_t len;
    const void *v = fdt_prop(dtb, "/cpus", "timebase-frequency", &len);
    if (v != NULL && len == 4 && fdt_cell(v) != 0) return fdt_cell(v);
    if (v != NULL && len == 8) return (uint64_t)fdt_cell(v) << 32 | fdt_cell((const uint8_t *)v + 4);
    return TIMEBASE_HZ; /* the board's, which is what a Domus device tree would say anyway */
}

static const char *dt_bootargs(const void *dtb) {
    uint32_t len;
    const char *v = fdt_prop(dtb, "/chosen", "bootargs", &len);
    /* Use it only if it is a proper string: it is printed and parsed. */
    return v != NULL && len > 0 && v[len - 1] == '\0' ? v : "";
}

const char *boot_read(uint64_t vcpu, const void *dtb, volatile uint8_t *start_info, struct boot_info *b) {
    if (start_info == NULL || !magic_ok(start_info)) return "start_info magic is not " START_INFO_MAGIC;
    /* The special pages sit at the top of RAM; an image reaching them would be overwritten. */
    if ((uintptr_t)__image_end > (uintptr_t)start_info) return "the image overlaps the start_info page";
    b->vcpu = vcpu;
    b->dtb = dtb;
    b->start_info = start_info;
    b->shared_info = (volatile uint8_t *)(uintptr_t)SI(uint64_t, SI_SHARED_INFO);
    b->console_ring = (volatile uint8_t *)(uintptr_t)(SI(uint64_t, SI_CONSOLE_MFN) << PAGE_SHIFT);
    b->store_ring = (volatile uint8_t *)(uintptr_t)(SI(uint64_t, SI_STORE_MFN) << PAGE_SHIFT);
    b->console_port = SI(uint32_t, SI_CONSOLE_EVTCHN);
    b->store_port = SI(uint32_t, SI_STORE_EVTCHN);
    b->nr_pages = SI(uint64_t, SI_NR_PAGES);
    if (vcpu >= MAX_VIRT_CPUS) return "vCPU id beyond shared_info's vcpu_info array";
    /* The hypervisor wrote cmd_line; make sure it is terminated before treating it as a string. */
    start_info[SI_CMD_LINE + MAX_GUEST_CMDLINE - 1] = '\0';
    const char *cmdline = (const char *)(uintptr_t)(start_info + SI_CMD_LINE);
    b->cmdline = cmdline[0] != '\0' ? cmdline : dt_bootargs(dtb);
    b->timebase_hz = dt_timebase(dtb);
    return NULL;
}

/* What the hypervisor handed over at entry, read once from start_info and the device tree. */
#ifndef MINIOS_BOOT_H
#define MINIOS_BOOT_H

#include <stdint.h>

struct boot_info {
    uint64_t vcpu;
    const void *dtb; /* kept where the hypervisor put it: cmdline may point into it */
    volatile uint8_t *start_info;
    volatile uint8_t *shared_info;
    volatile uint8_t *console_ring;
    volatile uint8_t *store_ring;
    uint32_t console_port, store_port;
    uint64_t nr_pages;
    const char *cmdline;
    uint64_t timebase_hz;
};

/* Fills *b; returns NULL, or what is wrong with the handover (static text). */
const char *boot_read(uint64_t vcpu, const void *dtb, volatile uint8_t *start_info, struct boot_info *b);

#endif

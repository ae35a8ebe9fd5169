/* Index arithmetic of Xen's byte rings (io/console.h): producer and consumer are free-running
 * 32-bit counters, so prod - cons is the fill level even after they wrap, and a counter
 * masked by the (power-of-two) size is the byte's position. Pure; unit-tested on the host. */
#ifndef MINIOS_RING_H
#define MINIOS_RING_H

#include <stdint.h>

static inline uint32_t ring_used(uint32_t prod, uint32_t cons) { return prod - cons; }

/* A peer that moves cons past prod, or prod more than size ahead, is broken: treat its ring as
 * full (for output) so we never write outside it, and as holding `size` bytes at most. */
static inline uint32_t ring_free(uint32_t prod, uint32_t cons, uint32_t size) {
    uint32_t used = ring_used(prod, cons);
    return used >= size ? 0 : size - used;
}

static inline uint32_t ring_readable(uint32_t prod, uint32_t cons, uint32_t size) {
    uint32_t used = ring_used(prod, cons);
    return used > size ? size : used;
}

static inline uint32_t ring_index(uint32_t counter, uint32_t size) { return counter & (size - 1); }

#endif

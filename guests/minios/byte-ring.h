/* Producing into one of Xen's byte rings (the console's `out`, xenstore's `req`). */
#ifndef MINIOS_BYTE_RING_H
#define MINIOS_BYTE_RING_H

#include <stddef.h>
#include <stdint.h>

/* A ring inside a shared page: its bytes at `data`, `size` long, and the offsets of its
 * free-running consumer and producer indices. */
struct byte_ring {
    uint32_t data, size, cons, prod;
};

/* Copy `n` bytes into the ring in `page`, publishing each batch with the producer index and
 * `notify`; while the ring has no room, `notify` then `wait_for_room`. */
void byte_ring_put(volatile uint8_t *page, const struct byte_ring *r, const uint8_t *p, size_t n,
                   void (*notify)(void), void (*wait_for_room)(void));

#endif

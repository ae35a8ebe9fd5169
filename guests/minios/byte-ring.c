#include "arch.h"
#include "byte-ring.h"
#include "ring.h"

void byte_ring_put(volatile uint8_t *page, const struct byte_ring *r, const uint8_t *p, size_t n,
                   void (*notify)(void), void (*wait_for_room)(void)) {
    volatile uint32_t *cons_index = (volatile uint32_t *)(page + r->cons);
    volatile uint32_t *prod_index = (volatile uint32_t *)(page + r->prod);
    while (n > 0) {
        uint32_t cons = *cons_index;
        uint32_t prod = *prod_index;
        mb(); /* read cons before overwriting the bytes it says are free */
        uint32_t space = ring_free(prod, cons, r->size);
        if (space == 0) {
            notify(); /* make sure the other side knows there is data, then let it run */
            wait_for_room();
            continue;
        }
        for (; space > 0 && n > 0; space--, n--) page[r->data + ring_index(prod++, r->size)] = *p++;
        wmb(); /* the bytes before the index that publishes them */
        *prod_index = prod;
        notify();
    }
}

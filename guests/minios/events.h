/* Event channels. The upcall handler moves pending events of ports minios waits on into a
 * local "fired" set; the main flow takes them from there. Events on other ports are dropped,
 * so they cannot keep an idle minios awake. */
#ifndef MINIOS_EVENTS_H
#define MINIOS_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

void events_init(volatile uint8_t *shared_info, uint64_t vcpu);

/* Start delivering `port` to the fired set (and unmask it at the hypervisor). */
long events_watch(uint32_t port);

/* Was `port` fired since the last take? Clears it. */
bool events_take(uint32_t port);

/* Has any watched port fired? (For the idle loop, with interrupts masked.) */
bool events_any(void);

/* Forget anything pending on `port` so far, at the hypervisor and locally. */
void events_discard(uint32_t port);

/* The supervisor external interrupt: scan shared_info, as Xen's 2-level ABI. */
void events_upcall(void);

long events_send(uint32_t port);
long events_alloc_unbound(uint32_t remote_dom, uint32_t *port);
long events_bind_interdomain(uint32_t remote_dom, uint32_t remote_port, uint32_t *local_port);

#endif

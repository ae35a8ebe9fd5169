/* Console output and input. Only the main flow prints; interrupt handlers never do, except the
 * fatal-trap path, which switches to console_io first. So no locking is needed here. */
#include <stdarg.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "byte-ring.h"
#include "console.h"
#include "events.h"
#include "format.h"
#include "hypercall.h"
#include "ring.h"
#include "sched.h"
#include "timer.h"

static volatile uint8_t *ring; /* NULL: console_io */
static uint32_t ring_port;

#define RING32(off) (*(volatile uint32_t *)(ring + (off)))

static void hypercall_write(const char *s, size_t n) {
    if (n > 0) hypercall(HYPERVISOR_console_io, CONSOLEIO_write, n, gpa(s));
}

static const struct byte_ring out = {XENCONS_OUT, XENCONS_OUT_SIZE, XENCONS_OUT_CONS, XENCONS_OUT_PROD};

static void notify_console(void) { events_send(ring_port); }

static void ring_write(const char *s, size_t n) {
    byte_ring_put(ring, &out, (const uint8_t *)s, n, notify_console, sched_yield);
}

void console_write(const char *s, size_t n) {
    if (ring != NULL) ring_write(s, n);
    else hypercall_write(s, n);
}

void printk(const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    console_write(buf, n);
}

int fail_report(const char *what, const char *fmt, ...) {
    char why[224];
    va_list ap;
    va_start(ap, fmt);
    vformat(why, sizeof why, fmt, ap);
    va_end(ap);
    printk("minios: %s FAILED: %s\n", what, why);
    return -1;
}

void console_use_ring(volatile uint8_t *r, uint32_t port) {
    ring_port = port;
    mb();
    ring = r;
}

void console_use_hypercall(void) { ring = NULL; }

size_t console_read(char *buf, size_t max) {
    if (ring == NULL) return 0;
    uint32_t prod = RING32(XENCONS_IN_PROD);
    uint32_t cons = RING32(XENCONS_IN_CONS);
    rmb(); /* the index before the bytes it covers */
    size_t n = 0;
    for (uint32_t avail = ring_readable(prod, cons, XENCONS_IN_SIZE); n < max && avail > 0; avail--)
        buf[n++] = (char)ring[XENCONS_IN + ring_index(cons++, XENCONS_IN_SIZE)];
    mb(); /* finish reading before handing the space back */
    RING32(XENCONS_IN_CONS) = cons;
    if (n > 0) events_send(ring_port);
    return n;
}

void console_flush(uint64_t timeout_ms) {
    if (ring == NULL) return;
    uint64_t deadline = timer_now() + timer_ms(timeout_ms);
    while (RING32(XENCONS_OUT_CONS) != RING32(XENCONS_OUT_PROD) && timer_now() < deadline) {
        events_send(ring_port);
        sched_yield();
    }
}

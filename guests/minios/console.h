/* The console: HYPERVISOR_console_io until the PV ring is set up, the ring afterwards. */
#ifndef MINIOS_CONSOLE_H
#define MINIOS_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void console_write(const char *s, size_t n);
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "minios: <what> FAILED: <the formatted reason>" and returns -1, for a mode's checks. */
int fail_report(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* From now on write to (and read from) the xencons_interface page, notifying `port`. */
void console_use_ring(volatile uint8_t *ring, uint32_t port);

/* Back to console_io: for the fatal-trap path, which must not depend on the ring's backend. */
void console_use_hypercall(void);

/* Takes up to max typed bytes from the ring's `in`; returns how many. */
size_t console_read(char *buf, size_t max);

/* Waits (up to timeout_ms) until the backend has taken everything written, so the last lines
 * before a shutdown are not lost with the domain. */
void console_flush(uint64_t timeout_ms);

#endif

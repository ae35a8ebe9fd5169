#include <stddef.h>

#include "console.h"
#include "runtime.h"

#define FINISHER_BASE 0x100000UL

void finish(uint32_t code) {
    *(volatile uint32_t *)FINISHER_BASE = code;
    for (;;) __asm__ volatile("wfi");
}

void trap_handler(uint64_t mcause, uint64_t mepc, uint64_t mtval) {
    puts_uart(guest_name);
    puts_uart(" trap mcause=");
    puthex(mcause, 16);
    puts_uart(" mepc=");
    puthex(mepc, 16);
    puts_uart(" mtval=");
    puthex(mtval, 16);
    puts_uart("\n");
    finish(FINISHER_FAIL | (1u << 16));
}

/* The compiler may emit calls to these even with -fno-builtin (struct copies). */
void *memset(void *d, int c, size_t n) {
    uint8_t *p = d;
    while (n--) *p++ = (uint8_t)c;
    return d;
}
void *memcpy(void *d, const void *s, size_t n) {
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) *p++ = *q++;
    return d;
}

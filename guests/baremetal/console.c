#include "console.h"

#define UART_BASE     0x10000000UL
#define UART_THR      0
#define UART_LSR      5
#define UART_LSR_THRE 0x20

void putc_uart(char c) {
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;
    while ((uart[UART_LSR] & UART_LSR_THRE) == 0) {
    }
    uart[UART_THR] = (uint8_t)c;
}

void puts_uart(const char *s) {
    while (*s) {
        if (*s == '\n') putc_uart('\r');
        putc_uart(*s++);
    }
}

void puthex(uint64_t v, int digits) {
    static const char hex[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--) putc_uart(hex[(v >> (i * 4)) & 0xf]);
}

void putu(uint64_t v) {
    char buf[20];
    int n = 0;
    do buf[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
    while (n) putc_uart(buf[--n]);
}

void puti(int64_t v) {
    if (v < 0) {
        putc_uart('-');
        putu(-(uint64_t)v);
    } else putu((uint64_t)v);
}

/* Polled output on the virt board's 16550 UART (0x10000000), for the bare-metal guests. */
#ifndef BAREMETAL_CONSOLE_H
#define BAREMETAL_CONSOLE_H

#include <stdint.h>

void putc_uart(char c);             /* one byte, after LSR.THRE */
void puts_uart(const char *s);      /* "\n" goes out as "\r\n" */
void puthex(uint64_t v, int digits); /* the low `digits` nibbles, lower-case, zero-padded */
void putu(uint64_t v);              /* unsigned decimal */
void puti(int64_t v);               /* signed decimal */

#endif

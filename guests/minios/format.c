/* Formatting. Pure: unit-tested on the host against the C library's snprintf. */
#include <stdbool.h>
#include <stdint.h>
#include "format.h"

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c) {
    if (o->len + 1 < o->size) o->buf[o->len++] = c;
}

static void put_number(struct out *o, uint64_t n, unsigned base, bool negative, unsigned width, char pad) {
    char digits[20]; /* 2^64 has 20 decimal digits */
    unsigned nd = 0;
    do {
        digits[nd++] = "0123456789abcdef"[n % base];
        n /= base;
    } while (n != 0);
    unsigned len = nd + (negative ? 1 : 0);
    if (negative && pad == '0') put(o, '-');
    for (; width > len; width--) put(o, pad);
    if (negative && pad != '0') put(o, '-');
    while (nd > 0) put(o, digits[--nd]);
}

size_t vformat(char *buf, size_t size, const char *fmt, va_list ap) {
    struct out o = {buf, size, 0};
    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        if (*fmt == '0') pad = '0', fmt++;
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (unsigned)(*fmt++ - '0');
        bool wide = false;
        if (*fmt == 'l') wide = true, fmt++;
        switch (*fmt) {
        case 'd': {
            int64_t v = wide ? va_arg(ap, long) : va_arg(ap, int);
            /* Negate as unsigned: -INT64_MIN does not exist as a signed value. */
            put_number(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = wide ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_number(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad);
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            for (; *s != '\0'; s++) put(&o, *s);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--; /* a lone '%' at the end: stop at the NUL */
            break;
        default: /* not ours: show it rather than guess */
            put(&o, '%');
            put(&o, *fmt);
        }
    }
    if (size > 0) buf[o.len] = '\0';
    return o.len;
}

size_t format(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

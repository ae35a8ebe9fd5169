/* printf-style formatting into a buffer, for the console. Supports what minios prints:
 * %s %c %d %u %x with an optional zero-pad width (%08x) and the l length (%lu, %lx), and %%. */
#ifndef MINIOS_FORMAT_H
#define MINIOS_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Writes at most size-1 characters and a NUL; returns how many characters it wrote. Output that
 * does not fit is cut off rather than an error: the console must never fail. */
size_t vformat(char *buf, size_t size, const char *fmt, va_list ap);
size_t format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

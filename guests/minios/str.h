/* The one string comparison minios needs: store values and tokens against known words. */
#ifndef MINIOS_STR_H
#define MINIOS_STR_H

#include <stdbool.h>

static inline bool str_eq(const char *a, const char *b) {
    while (*a != '\0' && *a == *b) a++, b++;
    return *a == *b;
}

#endif

/* Walks the structure block of a flattened device tree (Devicetree Specification, chapter 5).
 * The blob comes from the hypervisor but is still checked: every offset stays inside the
 * sizes the header declares, so a corrupt tree makes a lookup fail, not a wild read. */
#include <stdbool.h>
#include <stddef.h>
#include "fdt.h"

/* Devicetree Specification v0.4, 5.2 and 5.4.1. */
#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9
#define HDR_MAGIC 0
#define HDR_TOTALSIZE 4
#define HDR_OFF_STRUCT 8
#define HDR_OFF_STRINGS 12
#define HDR_SIZE_STRINGS 32
#define HDR_SIZE_STRUCT 36
#define HDR_LEN 40
#define MAX_DEPTH 16

uint32_t fdt_cell(const void *p) {
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint32_t fdt_size(const void *fdt) {
    const uint8_t *h = fdt;
    return h != NULL && fdt_cell(h + HDR_MAGIC) == FDT_MAGIC ? fdt_cell(h + HDR_TOTALSIZE) : 0;
}

static bool str_eq(const char *a, const char *b) {
    while (*a != '\0' && *a == *b) a++, b++;
    return *a == *b;
}

/* Does node name [name, NUL) match path component [c, c_end)? "memory" matches "memory@80000000". */
static bool name_matches(const char *name, const char *c, const char *c_end) {
    while (c < c_end && *name == *c) name++, c++;
    return c == c_end && (*name == '\0' || *name == '@');
}

/* Length of a NUL-terminated string inside [s, end), or -1 if it runs off the end. */
static long bounded_strlen(const char *s, const char *end) {
    for (const char *p = s; p < end; p++)
        if (*p == '\0') return p - s;
    return -1;
}

const void *fdt_prop(const void *fdt, const char *path, const char *prop, uint32_t *len) {
    const uint8_t *h = fdt;
    if (h == NULL || fdt_cell(h + HDR_MAGIC) != FDT_MAGIC) return NULL;
    uint32_t total = fdt_cell(h + HDR_TOTALSIZE);
    uint32_t off_struct = fdt_cell(h + HDR_OFF_STRUCT), size_struct = fdt_cell(h + HDR_SIZE_STRUCT);
    uint32_t off_strings = fdt_cell(h + HDR_OFF_STRINGS), size_strings = fdt_cell(h + HDR_SIZE_STRINGS);
    if (total < HDR_LEN || off_struct > total || size_struct > total - off_struct ||
        off_strings > total || size_strings > total - off_strings)
        return NULL;
    const uint8_t *p = h + off_struct, *end = p + size_struct;
    const char *strings = (const char *)h + off_strings, *strings_end = strings + size_strings;

    /* The path's components, matched one per depth: matched = how many of them the current
     * node's ancestry (including itself) matches; the target node is at depth == ncomp. */
    const char *comp[MAX_DEPTH], *comp_end[MAX_DEPTH];
    unsigned ncomp = 0;
    for (const char *s = path; *s != '\0';) {
        while (*s == '/') s++;
        if (*s == '\0') break;
        if (ncomp == MAX_DEPTH) return NULL;
        comp[ncomp] = s;
        while (*s != '\0' && *s != '/') s++;
        comp_end[ncomp++] = s;
    }

    int depth = -1;      /* the root node is depth 0 and matches the empty path */
    unsigned matched = 0;
    while (p + 4 <= end) {
        uint32_t token = fdt_cell(p);
        p += 4;
        switch (token) {
        case FDT_BEGIN_NODE: {
            long n = bounded_strlen((const char *)p, (const char *)end);
            if (n < 0) return NULL;
            depth++;
            /* Only a child of a fully matched ancestry can extend the match. */
            if (depth >= 1 && (unsigned)depth == matched + 1 && matched < ncomp &&
                name_matches((const char *)p, comp[matched], comp_end[matched]))
                matched++;
            p += (n + 1 + 3) & ~3L;
            break;
        }
        case FDT_END_NODE:
            if (depth < 0) return NULL;
            if ((unsigned)depth == matched && matched > 0) matched--;
            depth--;
            break;
        case FDT_PROP: {
            if (p + 8 > end) return NULL;
            uint32_t plen = fdt_cell(p), nameoff = fdt_cell(p + 4);
            p += 8;
            if (plen > (uint32_t)(end - p) || nameoff >= size_strings) return NULL;
            if (depth >= 0 && (unsigned)depth == ncomp && matched == ncomp &&
                bounded_strlen(strings + nameoff, strings_end) >= 0 && str_eq(strings + nameoff, prop)) {
                *len = plen;
                return p;
            }
            p += (plen + 3) & ~3u;
            break;
        }
        case FDT_NOP:
            break;
        case FDT_END:
            return NULL;
        default:
            return NULL;
        }
    }
    return NULL;
}

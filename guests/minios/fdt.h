/* Just enough of a flattened device tree reader to find one property by node path. */
#ifndef MINIOS_FDT_H
#define MINIOS_FDT_H

#include <stdint.h>

/* The value of property `prop` of the node at `path` ("/chosen", "/cpus"; a path component
 * without '@' also matches a node name with a unit address), and its length in *len.
 * NULL if the blob is not a device tree or has no such property. */
const void *fdt_prop(const void *fdt, const char *path, const char *prop, uint32_t *len);

/* The blob's size from its header (totalsize), or 0 if `fdt` is not a device tree. */
uint32_t fdt_size(const void *fdt);

/* A 32-bit cell (device trees are big-endian). */
uint32_t fdt_cell(const void *p);

#endif

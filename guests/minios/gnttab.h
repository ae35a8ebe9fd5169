/* Grant table v1: granting our pages to another domain, and GNTTABOP_copy. */
#ifndef MINIOS_GNTTAB_H
#define MINIOS_GNTTAB_H

#include <stdbool.h>
#include <stdint.h>

/* GNTTABOP_setup_table: learn where our table frames are. Returns 0 or a negative errno /
 * GNTST_* status. */
long gnttab_init(void);

/* Let `domid` access our page at `page` through reference `ref`. 0, or -XEN_EINVAL for a
 * reference beyond the table. */
long gnttab_grant(uint32_t ref, uint32_t domid, const void *page, bool readonly);

/* Copy `len` bytes from `domid`'s grant `ref` into our page `dest`. Returns the GNTST_*
 * status (0 = okay), or a negative errno if the hypercall itself failed. */
long gnttab_copy_from(uint32_t domid, uint32_t ref, void *dest, uint16_t len);

#endif

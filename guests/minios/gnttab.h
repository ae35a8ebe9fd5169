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

/* Map `domid`'s grant `ref` at our page `at` (GNTTABOP_map_grant_ref): the page then shows
 * their frame itself. Returns the GNTST_* status, or a negative errno if the hypercall failed;
 * *handle is for the unmap. */
long gnttab_map(uint32_t domid, uint32_t ref, void *at, bool readonly, uint32_t *handle);

/* Take the mapping `handle` at `at` away: the page shows what it held before. */
long gnttab_unmap(void *at, uint32_t handle);

/* Our entry `ref`'s flags: GTF_reading / GTF_writing say another domain maps it now. */
uint16_t gnttab_flags(uint32_t ref);

#endif

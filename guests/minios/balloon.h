/* The balloon, as Xen's balloon drivers do it: the toolstack writes the domain's memory target
 * (KiB, decimal) to memory/target below its home; minios, watching that key, gives pages back to
 * the hypervisor (XENMEM_decrease_reservation) or takes them back (XENMEM_populate_physmap)
 * until its size meets the target: its maximum reservation (maxmem) minus the pages given back,
 * the pages above start_info's nr_pages counting as given back at boot. It only ever gives back
 * pages it never uses, so nothing else in minios knows about it. */
#ifndef MINIOS_BALLOON_H
#define MINIOS_BALLOON_H

#include "boot.h"

#define BALLOON_PATH "memory/target"
#define BALLOON_TOKEN "balloon"

/* Works out the free RAM from the link symbols and the handover; once, at boot. */
void balloon_init(const struct boot_info *b);

/* For modes that do not otherwise use xenstore, after control_watch_nowait (which connects the
 * store client): send the WATCH on memory/target without waiting for its reply. */
void balloon_watch_nowait(const struct boot_info *b);

/* On a watch event with BALLOON_TOKEN: read memory/target (absent: nothing to do) and move to
 * it, printing `minios: balloon <KiB> KiB` after a change and `minios: balloon FAILED: <what>`
 * if the hypervisor disagrees. Makes store requests, so call it where control_check is called. */
void balloon_check(void);

#endif

/* mode=disk: connect blkfront to the first disk, verify what an earlier boot wrote, then write,
 * flush and verify new generations of a checksummed data area (README.md, "The disk"). */
#ifndef MINIOS_DISK_H
#define MINIOS_DISK_H

#include <stdbool.h>
#include "boot.h"
#include "options.h"

/* Returns the SHUTDOWN_* reason to stop with: then='s once `minios: disk done` is printed, or a
 * shutdown request's that came while a generation was being written (taken once it is whole);
 * or -1 after a `minios: disk FAILED` line. */
int disk_run(const struct boot_info *b, const struct options *o);

/* For the wake hook, with a shutdown request's reason: true if the disk is being written, so the
 * request must wait (disk_run takes it when the generation is complete); false: stop now. */
bool disk_defer_shutdown(int reason);

#endif

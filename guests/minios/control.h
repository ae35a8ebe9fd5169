/* Shutdown requests from the toolstack, as Xen's guests take them: the toolstack writes
 * "poweroff" or "reboot" to control/shutdown (below the domain's home); the guest, watching that
 * key, writes "" back to acknowledge and shuts down with that reason. */
#ifndef MINIOS_CONTROL_H
#define MINIOS_CONTROL_H

#include <stdint.h>
#include "boot.h"

#define CONTROL_TOKEN "shutdown"

/* For modes that do not otherwise use xenstore: if the domain has a store ring, send the WATCH
 * on control/shutdown without waiting for its reply, so a host without a store costs nothing. */
void control_watch_nowait(const struct boot_info *b);

/* After control_watch_nowait: take the store port's event and any watch events that arrived,
 * without waiting (memory/target and cpu events are handled here too: balloon_check, vcpus_check). Returns the
 * SHUTDOWN_* reason asked for, or -1. Re-entered (from a wait inside
 * its own store requests), it returns -1 at once. */
int control_poll(void);

/* Watch events with other tokens that control_poll reads go to `handler` (called from the wake
 * hook: it should only note them), instead of being dropped. */
void control_set_other_events(void (*handler)(const char *path, const char *token));

/* On a watch event with CONTROL_TOKEN: read control/shutdown; for "poweroff" or "reboot", print
 * `minios: shutdown requested (<reason>)`, write "" back and return the reason; otherwise -1. */
int control_check(void);

#endif

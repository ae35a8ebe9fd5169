/* control/shutdown: see control.h. */
#include <stdbool.h>
#include "../include/domus-abi.h"
#include "balloon.h"
#include "console.h"
#include "control.h"
#include "events.h"
#include "str.h"
#include "vcpus.h"
#include "xenstore.h"

static bool enabled, busy;
static uint32_t store_port;
static void (*other_events)(const char *path, const char *token);

void control_watch_nowait(const struct boot_info *b) {
    if (b->store_ring == NULL || b->store_port == 0) return;
    xs_init(b->store_ring, b->store_port);
    store_port = b->store_port;
    enabled = xs_watch_nowait("control/shutdown", CONTROL_TOKEN) == 0;
}

int control_check(void) {
    char value[32];
    if (xs_read("control/shutdown", value, sizeof value) < 0) return -1; /* e.g. not written yet */
    int reason;
    if (str_eq(value, "poweroff")) reason = SHUTDOWN_poweroff;
    else if (str_eq(value, "reboot")) reason = SHUTDOWN_reboot;
    else return -1; /* "" (acknowledged), or a request minios does not take (e.g. suspend) */
    printk("minios: shutdown requested (%s)\n", value);
    /* Clearing the node acknowledges the request, as Xen's guests do. */
    if (xs_write("control/shutdown", "") < 0) printk("minios: cannot clear control/shutdown: %s\n", xs_error());
    return reason;
}

void control_set_other_events(void (*handler)(const char *path, const char *token)) { other_events = handler; }

int control_poll(void) {
    if (!enabled || busy) return -1;
    busy = true;
    int reason = -1;
    char path[128], token[32];
    events_take(store_port);
    while (reason < 0 && xs_poll_event(path, sizeof path, token, sizeof token)) {
        if (str_eq(token, CONTROL_TOKEN)) reason = control_check();
        else if (str_eq(token, BALLOON_TOKEN)) balloon_check();
        else if (str_eq(token, VCPUS_TOKEN)) vcpus_check();
        else if (other_events != NULL) other_events(path, token);
    }
    busy = false;
    return reason;
}

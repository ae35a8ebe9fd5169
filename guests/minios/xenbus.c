/* xenbus: the frontend's part of the handshake, through the store (see xenbus.h). Paths without
 * a leading '/' (the frontend's directory) are relative to the domain's home. */
#include <stdarg.h>
#include "../include/domus-abi.h"
#include "control.h"
#include "format.h"
#include "sched.h"
#include "str.h"
#include "timer.h"
#include "xenbus.h"
#include "xenstore.h"

/* The devices whose backend-state watch events we look for; minios opens one or two. */
#define MAX_DEVS 4
static struct xenbus_dev *devs[MAX_DEVS];
static unsigned ndevs;

int xenbus_fail(struct xenbus_dev *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vformat(d->why, sizeof d->why, fmt, ap);
    va_end(ap);
    return -1;
}

/* From the wake hook (control_poll): only note the event. */
static void note_event(const char *path, const char *token) {
    (void)path;
    for (unsigned i = 0; i < ndevs; i++)
        if (str_eq(token, devs[i]->token)) devs[i]->changed = true;
}

bool xenbus_parse_u64(const char *s, uint64_t *out) {
    uint64_t n = 0;
    if (*s == '\0') return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || n > (UINT64_MAX - 9) / 10) return false;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    *out = n;
    return true;
}

int xenbus_read(struct xenbus_dev *d, const char *dir, const char *key, char *buf, size_t size) {
    char path[192];
    format(path, sizeof path, "%s/%s", dir, key);
    if (xs_read(path, buf, size) < 0) return xenbus_fail(d, "read %s: %s", path, xs_error());
    return 0;
}

int xenbus_read_number(struct xenbus_dev *d, const char *dir, const char *key, uint64_t *out) {
    char value[32];
    if (xenbus_read(d, dir, key, value, sizeof value) < 0) return -1;
    if (!xenbus_parse_u64(value, out)) return xenbus_fail(d, "%s/%s is \"%s\", not a number", dir, key, value);
    return 0;
}

int xenbus_write(struct xenbus_dev *d, const char *dir, const char *key, const char *value) {
    char path[192];
    format(path, sizeof path, "%s/%s", dir, key);
    if (xs_write(path, value) < 0) return xenbus_fail(d, "write %s: %s", path, xs_error());
    return 0;
}

int xenbus_write_number(struct xenbus_dev *d, const char *dir, const char *key, uint64_t n) {
    char value[24];
    format(value, sizeof value, "%lu", (unsigned long)n);
    return xenbus_write(d, dir, key, value);
}

const char *xenbus_state_name(uint64_t s) {
    static const char *const names[] = {"Unknown", "Initialising", "InitWait", "Initialised", "Connected", "Closing", "Closed"};
    return s < sizeof names / sizeof names[0] ? names[s] : "?";
}

int xenbus_open(struct xenbus_dev *d, const char *cls, const char *what, const char *token, uint64_t timeout_ms) {
    d->token = token;
    d->timeout_ms = timeout_ms;
    d->timeout = timer_ms(timeout_ms);
    d->changed = false;
    if (ndevs == 0) control_set_other_events(note_event);

    /* The first device the toolstack gave us. */
    char dir[32], names[128];
    format(dir, sizeof dir, "device/%s", cls);
    int n = xs_directory(dir, names, sizeof names);
    if (n < 0) return xenbus_fail(d, "list %s: %s", dir, xs_error());
    if (n == 0) return xenbus_fail(d, "no %s: %s is empty", what, dir);
    uint64_t devid, backend_id;
    if (!xenbus_parse_u64(names, &devid) || devid > UINT32_MAX) return xenbus_fail(d, "%s/%s is not a device number", dir, names);
    format(d->frontend, sizeof d->frontend, "%s/%s", dir, names);
    if (xenbus_read(d, d->frontend, "backend", d->backend, sizeof d->backend) < 0) return -1;
    if (xenbus_read_number(d, d->frontend, "backend-id", &backend_id) < 0) return -1;
    if (backend_id > 0x7fef) return xenbus_fail(d, "%s/backend-id %lu is not a domain", d->frontend, (unsigned long)backend_id);
    d->devid = (uint32_t)devid;
    d->backend_id = (uint32_t)backend_id;
    format(d->backend_state, sizeof d->backend_state, "%s/state", d->backend);

    /* Watch first, then look: a change after the look fires the watch. */
    bool known = false;
    for (unsigned i = 0; i < ndevs; i++) known |= devs[i] == d;
    if (!known && ndevs < MAX_DEVS) devs[ndevs++] = d;
    if (xs_watch(d->backend_state, token) < 0) return xenbus_fail(d, "watch %s: %s", d->backend_state, xs_error());
    return 0;
}

long xenbus_read_backend_state(struct xenbus_dev *d) {
    char value[16];
    uint64_t s;
    if (xs_read(d->backend_state, value, sizeof value) < 0) {
        if (str_eq(xs_error(), "ENOENT")) return XenbusStateUnknown;
        return xenbus_fail(d, "read %s: %s", d->backend_state, xs_error());
    }
    if (!xenbus_parse_u64(value, &s) || s > 0xff) return xenbus_fail(d, "%s is \"%s\", not a state", d->backend_state, value);
    return (long)s;
}

long xenbus_backend_state(struct xenbus_dev *d) {
    long s = xenbus_read_backend_state(d);
    if (s >= XenbusStateClosing)
        return xenbus_fail(d, "the backend is %s (%s = %ld)", xenbus_state_name((uint64_t)s), d->backend_state, s);
    return s;
}

/* Sleep until a store watch event for the backend (true) or time reaches `until` (false). Before
 * sleeping, look at the store once (the wake hook): a reply may have been read together with
 * the event's notification, which then does not wake us. */
static bool wait_backend_event(struct xenbus_dev *d, uint64_t until) {
    timer_arm(until);
    for (;;) {
        if (sched_wake_hook != NULL) sched_wake_hook();
        if (d->changed) return true;
        if (timer_take()) return false;
        sched_wait();
    }
}

int xenbus_wait_backend(struct xenbus_dev *d, uint64_t want) {
    uint64_t until = timer_now() + d->timeout;
    for (;;) {
        d->changed = false;
        long s = xenbus_backend_state(d);
        if (s < 0) return -1;
        if ((uint64_t)s >= want) return 0;
        if (!wait_backend_event(d, until))
            return xenbus_fail(d, "the backend stayed %s (%s = %ld), waiting for %s", xenbus_state_name((uint64_t)s), d->backend_state, s,
                               xenbus_state_name(want));
    }
}

int xenbus_check_backend(struct xenbus_dev *d) {
    if (!d->changed) return 0;
    d->changed = false;
    long s = xenbus_read_backend_state(d);
    if (s > XenbusStateUnknown && s < XenbusStateClosing) return 0;
    if (s < 0) {
        char why[sizeof d->why];
        format(why, sizeof why, "%s", d->why);
        return xenbus_fail(d, "the backend went away (%s)", why);
    }
    if (s == XenbusStateUnknown) return xenbus_fail(d, "the backend went away (%s is gone)", d->backend_state);
    xenbus_write_number(d, d->frontend, "state", XenbusStateClosed); /* best effort */
    return xenbus_fail(d, "the backend is %s (%s = %ld)", xenbus_state_name((uint64_t)s), d->backend_state, s);
}

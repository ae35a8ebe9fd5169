/* The frontend's side of Xen's xenbus protocol, shared by the split drivers (blkfront, netfront,
 * fbfront, kbdfront): finding the device the toolstack gave us below device/<class>, reading and
 * writing the nodes of the two directories, and following the backend's state through a store
 * watch. */
#ifndef MINIOS_XENBUS_H
#define MINIOS_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xenbus_dev {
    const char *token;        /* the store token of the backend-state watch */
    uint64_t timeout, timeout_ms; /* the longest wait for the backend, in timer ticks and as given */
    uint32_t devid;           /* the name below device/<class> */
    uint32_t backend_id;      /* the backend's domain (0) */
    char frontend[48];        /* device/<class>/<devid>, relative to the home */
    char backend[128];        /* the backend's directory, absolute */
    char backend_state[160];  /* <backend>/state */
    volatile bool changed;    /* a watch event for the backend's state came (from the wake hook) */
    char why[192];            /* the last failure (xenbus_fail) */
};

/* Every call that can fail returns -1 with d->why naming the failure. */
int xenbus_fail(struct xenbus_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Finds the first device below device/<cls> (`what` names the class in messages, e.g. "disk"),
 * reads its frontend's `backend` and `backend-id`, and watches <backend>/state with `token`.
 * Watch events with that token (read by control_poll from the wake hook) set d->changed. */
int xenbus_open(struct xenbus_dev *d, const char *cls, const char *what, const char *token, uint64_t timeout_ms);

/* A decimal number filling s exactly. */
bool xenbus_parse_u64(const char *s, uint64_t *out);

/* <dir>/<key>: read (NUL-terminated, cut to size), read a decimal number, write. */
int xenbus_read(struct xenbus_dev *d, const char *dir, const char *key, char *buf, size_t size);
int xenbus_read_number(struct xenbus_dev *d, const char *dir, const char *key, uint64_t *out);
int xenbus_write(struct xenbus_dev *d, const char *dir, const char *key, const char *value);
int xenbus_write_number(struct xenbus_dev *d, const char *dir, const char *key, uint64_t n);

/* The XenbusState's name, e.g. "InitWait". */
const char *xenbus_state_name(uint64_t s);

/* The backend's state now (a missing node counts as Unknown), or -1 if it cannot be read. */
long xenbus_read_backend_state(struct xenbus_dev *d);

/* The same, but Closing and Closed are failures (-1) too. */
long xenbus_backend_state(struct xenbus_dev *d);

/* Waits until the backend's state is at least `want`; fails if it closes, or stays below
 * `want` for d->timeout. */
int xenbus_wait_backend(struct xenbus_dev *d, uint64_t want);

/* Once connected, after a watch event for the backend's state (d->changed, which it clears): is
 * the backend still there? Closing or Closed is answered with our Closed (best effort); a backend
 * whose nodes were removed (an unplug) is left alone. Other states (a backend setting itself up
 * again) are waited out. Returns 0 while it is there, -1 with d->why once it has gone. */
int xenbus_check_backend(struct xenbus_dev *d);

#endif

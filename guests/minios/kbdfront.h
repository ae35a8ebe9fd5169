/* A Xen keyboard and pointer frontend (vkbd, io/kbdif.h): one shared page (struct xenkbd_page)
 * whose in ring the backend fills with key events (Linux KEY_* codes) and pointer positions, and
 * the xenbus handshake through the store. Domus departure (kernel/public/xen/kbdif.ts): `page-ref`
 * is a grant reference to the backend's domain, not a machine frame number. */
#ifndef MINIOS_KBDFRONT_H
#define MINIOS_KBDFRONT_H

#include <stdbool.h>
#include <stdint.h>

/* Grant reference of the shared page: 1024, the first of the third quarter of the table, just
 * below fbfront's (1025..). */
#define KBDFRONT_GREF_PAGE 1024

/* The store token of the backend-state watch. */
#define KBDFRONT_TOKEN "vkbd"

/* kbdfront_connect's answer when the toolstack gave the domain no keyboard (device/vkbd missing
 * or empty): not a failure, there is just nothing to connect. */
#define KBDFRONT_ABSENT 1

struct kbdfront_info {
    uint32_t devid;      /* the name below device/vkbd (0) */
    uint32_t backend_id; /* the backend's domain (0) */
    uint32_t port;       /* the shared page's event channel */
    bool abs;            /* the backend offers absolute positions (feature-abs-pointer = 1) */
};

/* Finds the first device under device/vkbd and connects to its backend (see README.md). Each
 * wait for the backend gives up after timeout_ms. Returns 0 and fills *info, KBDFRONT_ABSENT if
 * there is no device, or -1 with kbdfront_error(). Needs the store ring and the wake hook, as
 * fbfront_connect. */
int kbdfront_connect(uint64_t timeout_ms, struct kbdfront_info *info);

/* Where the events of one look at the ring go. */
struct kbdfront_handler {
    void (*key)(uint32_t keycode, bool pressed); /* every key event, in order */
    void (*pointer)(int32_t x, int32_t y);       /* the batch's last absolute position, once, after its keys */
};

/* Consumes the events in the in ring (in_cons = in_prod, then notifies the backend), hands them to
 * *h, and follows the backend's state. Call after the port fired (take the event first). Returns
 * 0, or -1 with kbdfront_error() if the backend went away. */
int kbdfront_poll(const struct kbdfront_handler *h);

/* Events the backend sent that minios does not take (relative motion, unknown types), and
 * batches that overran the ring (in_prod more than a ring ahead: the oldest events are lost). */
struct kbdfront_stats {
    uint64_t keys, positions, ignored, overruns;
};
const struct kbdfront_stats *kbdfront_stats(void);

const char *kbdfront_error(void);

#endif

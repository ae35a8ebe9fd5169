/* kbdfront: the keyboard's shared page and the handshake with the backend through the store.
 *
 *   frontend (device/vkbd/<devid>)           backend (backend/vkbd/<domid>/<devid>)
 *                                            state 2 (InitWait); feature-abs-pointer (optional)
 *   watch <backend>/state, wait for >= 2
 *   shared page granted writable, alloc_unbound(backend)
 *   page-ref, event-channel, request-abs-pointer; state 3
 *                                            reads them, binds the port; state 4 (Connected)
 *   state 4
 *
 * The shared page is struct xenkbd_page: in_cons, in_prod, out_cons, out_prod, then the in ring
 * (backend to frontend) of 40-byte events at in_cons % slots. minios reads in_prod, a read fence,
 * the events up to it, then in_cons = in_prod after a full fence, and notifies the backend (as
 * Linux's xenkbd), which may have waited for room. The out ring is not used. */
#include "../include/domus-abi.h"
#include "arch.h"
#include "events.h"
#include "gnttab.h"
#include "kbdfront.h"
#include "str.h"
#include "xenbus.h"
#include "xenstore.h"

#define IN_SLOTS (XENKBD_IN_RING_SIZE / XENKBD_IN_EVENT_SIZE)

_Static_assert(KBDFRONT_GREF_PAGE < GRANT_TABLE_FRAMES * PAGE_SIZE / GRANT_ENTRY_V1_SIZE, "the grant reference fits the table");
_Static_assert(XENKBD_IN_RING_OFFS + XENKBD_IN_RING_SIZE <= PAGE_SIZE, "the in ring fits the page");

static uint8_t page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define U32(off) (*(volatile uint32_t *)(page + (off)))

static uint32_t port;
static bool connected;
static struct xenbus_dev dev;
static struct kbdfront_stats stats;

#define fail(...) xenbus_fail(&dev, __VA_ARGS__)

const char *kbdfront_error(void) { return dev.why; }

const struct kbdfront_stats *kbdfront_stats(void) { return &stats; }

int kbdfront_connect(uint64_t ms, struct kbdfront_info *info) {
    /* A screen without a keyboard is still a screen: look before xenbus_open calls it a failure. */
    char names[64];
    int n = xs_directory("device/vkbd", names, sizeof names);
    if (n == 0 || (n < 0 && str_eq(xs_error(), "ENOENT"))) return KBDFRONT_ABSENT;
    if (xenbus_open(&dev, "vkbd", "keyboard", KBDFRONT_TOKEN, ms) < 0) return -1;
    const char *fe = dev.frontend;
    info->devid = dev.devid;
    info->backend_id = dev.backend_id;
    if (xenbus_wait_backend(&dev, XenbusStateInitWait) < 0) return -1;
    uint64_t abs;
    if (xenbus_read_number(&dev, dev.backend, "feature-abs-pointer", &abs) < 0) abs = 0; /* optional */
    info->abs = abs == 1;

    /* The shared page: zeroed (an empty ring), granted writable (the backend produces events). */
    long rc = gnttab_init();
    if (rc != 0) return fail("grant table setup: %ld", rc);
    for (unsigned i = 0; i < PAGE_SIZE; i++) page[i] = 0;
    wmb();
    if ((rc = gnttab_grant(KBDFRONT_GREF_PAGE, dev.backend_id, page, false)) != 0) return fail("grant the shared page: %ld", rc);
    if ((rc = events_alloc_unbound(dev.backend_id, &port)) != 0) return fail("alloc_unbound for domain %u: %ld", dev.backend_id, rc);
    if ((rc = events_watch(port)) != 0) return fail("unmask port %u: %ld", port, rc);
    info->port = port;
    if (xenbus_write_number(&dev, fe, "page-ref", KBDFRONT_GREF_PAGE) < 0 || xenbus_write_number(&dev, fe, "event-channel", port) < 0 ||
        xenbus_write(&dev, fe, "request-abs-pointer", "1") < 0 || xenbus_write_number(&dev, fe, "state", XenbusStateInitialised) < 0)
        return -1;

    if (xenbus_wait_backend(&dev, XenbusStateConnected) < 0) return -1;
    if (xenbus_write_number(&dev, fe, "state", XenbusStateConnected) < 0) return -1;
    connected = true;
    return 0;
}

int kbdfront_poll(const struct kbdfront_handler *h) {
    if (!connected) return -1;
    for (;;) {
        uint32_t prod = U32(XENKBD_PAGE_IN_PROD);
        rmb(); /* the index before the events it covers */
        uint32_t cons = U32(XENKBD_PAGE_IN_CONS);
        if (cons == prod) break;
        if (prod - cons > IN_SLOTS) { /* the backend wrote over events we had not read */
            stats.overruns++;
            cons = prod - IN_SLOTS;
        }
        bool moved = false;
        int32_t x = 0, y = 0;
        for (; cons != prod; cons++) {
            volatile uint8_t *e = page + XENKBD_IN_RING_OFFS + (cons % IN_SLOTS) * XENKBD_IN_EVENT_SIZE;
            switch (e[0]) {
            case XENKBD_TYPE_KEY:
                stats.keys++;
                h->key(*(volatile uint32_t *)(e + XENKBD_KEY_KEYCODE), e[XENKBD_KEY_PRESSED] != 0);
                break;
            case XENKBD_TYPE_POS:
                stats.positions++;
                x = *(volatile int32_t *)(e + XENKBD_POS_X);
                y = *(volatile int32_t *)(e + XENKBD_POS_Y);
                moved = true;
                break;
            default:
                stats.ignored++; /* relative motion (we asked for absolute), or a type we do not know */
                break;
            }
        }
        mb(); /* the events read before the backend may reuse their slots */
        U32(XENKBD_PAGE_IN_CONS) = prod;
        mb();
        events_send(port);
        if (moved) h->pointer(x, y);
    }
    if (xenbus_check_backend(&dev) < 0) {
        connected = false;
        return -1;
    }
    return 0;
}

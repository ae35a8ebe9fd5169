/* fbfront: the framebuffer, its shared page and the handshake with the backend through the store.
 *
 *   frontend (device/vfb/<devid>)            backend (backend/vfb/<domid>/<devid>)
 *                                            state 2 (InitWait): ready for the page
 *   watch <backend>/state, wait for >= 2
 *   framebuffer and directory pages granted (read-only), the shared page (mode, directory)
 *   granted writable, alloc_unbound(backend)
 *   page-ref, event-channel, protocol, feature-update; state 3
 *                                            reads them, binds the port, maps the framebuffer;
 *                                            request-update (optional); state 4 (Connected)
 *   read request-update; state 4
 *
 * The shared page is struct xenfb_page: in_cons, in_prod, out_cons, out_prod, the mode (width,
 * height, line_length, mem_length, depth) and pd[], the grant references of directory pages that
 * each list (in u32 grant references) up to 1024 framebuffer pages in order. The out ring
 * (frontend to backend) holds update events: written at out_prod % slots after making sure
 * out_prod - out_cons leaves a free slot, published by out_prod after a write fence, then the
 * port is notified (as Linux's xenfb). The in ring (backend to frontend) is consumed and ignored. */
#include "../include/domus-abi.h"
#include "arch.h"
#include "events.h"
#include "fbfront.h"
#include "format.h"
#include "gnttab.h"
#include "xenbus.h"

/* What the frontend tells the backend its page's layout is (io/protocols.h's names). */
#define FBFRONT_PROTOCOL "riscv64-abi"

#define OUT_SLOTS (XENFB_OUT_RING_SIZE / XENFB_OUT_EVENT_SIZE)

_Static_assert(FBFRONT_GREF_END <= GRANT_TABLE_FRAMES * PAGE_SIZE / GRANT_ENTRY_V1_SIZE, "grant references fit the table");
_Static_assert(FBFRONT_MAX_DIRS <= XENFB_PD_ENTRIES, "the directory fits the shared page");
_Static_assert(XENFB_PAGE_PD + XENFB_PD_ENTRIES * 4 <= XENFB_IN_RING_OFFS, "pd[] ends before the rings");
_Static_assert(XENFB_OUT_RING_OFFS + XENFB_OUT_RING_SIZE <= PAGE_SIZE, "the out ring fits the page");
_Static_assert(FBFRONT_REFS_PER_DIR * 4 == PAGE_SIZE, "a directory page is 1024 u32 references");

static uint32_t pixels[FBFRONT_MAX_PAGES * PAGE_SIZE / FBFRONT_BYTES_PER_PIXEL] __attribute__((aligned(PAGE_SIZE)));
static uint32_t dirs[FBFRONT_MAX_DIRS][FBFRONT_REFS_PER_DIR] __attribute__((aligned(PAGE_SIZE)));
static uint8_t page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define U8(off) (*(volatile uint8_t *)(page + (off)))
#define U32(off) (*(volatile uint32_t *)(page + (off)))
#define I32(off) (*(volatile int32_t *)(page + (off)))

static uint32_t width, height, line_length, mem_length;
static uint32_t port;
static bool connected, update_wanted;
static uint32_t out_prod_pvt, out_published;
/* An update that found the out ring full: the bounding box of everything since, [x0, x1) x [y0, y1). */
static bool pending;
static uint32_t pend_x0, pend_y0, pend_x1, pend_y1;
static struct xenbus_dev dev;

#define fail(...) xenbus_fail(&dev, __VA_ARGS__)

const char *fbfront_error(void) { return dev.why; }

uint32_t *fbfront_init(uint32_t w, uint32_t h) {
    if (w == 0 || h == 0 || w > FB_MAX_WIDTH || h > FB_MAX_HEIGHT) {
        fail("a %ux%u framebuffer: minios has pages for up to %ux%u", w, h, FB_MAX_WIDTH, FB_MAX_HEIGHT);
        return NULL;
    }
    width = w;
    height = h;
    line_length = w * FBFRONT_BYTES_PER_PIXEL;
    mem_length = line_length * h;
    return pixels; /* .bss: zero */
}

int fbfront_connect(uint64_t ms, struct fbfront_info *info) {
    if (width == 0) return fail("no mode (fbfront_init)");
    uint32_t npages = (mem_length + PAGE_SIZE - 1) / PAGE_SIZE;
    uint32_t ndirs = (npages + FBFRONT_REFS_PER_DIR - 1) / FBFRONT_REFS_PER_DIR;
    /* fbfront_init keeps to the largest mode; this says so should the two ever disagree. */
    if (npages > FBFRONT_MAX_PAGES)
        return fail("a %ux%u framebuffer needs %u pages; minios has pages and grant references for %u", width, height, npages,
                    (unsigned)FBFRONT_MAX_PAGES);
    if (xenbus_open(&dev, "vfb", "screen", FBFRONT_TOKEN, ms) < 0) return -1;
    const char *fe = dev.frontend;
    info->devid = dev.devid;
    info->backend_id = dev.backend_id;
    info->pages = npages;
    if (xenbus_wait_backend(&dev, XenbusStateInitWait) < 0) return -1;

    /* The backend only reads the framebuffer and its directory: read-only grants. */
    long rc = gnttab_init();
    if (rc != 0) return fail("grant table setup: %ld", rc);
    for (uint32_t i = 0; i < npages; i++) {
        if ((rc = gnttab_grant(FBFRONT_GREF_FB(i), dev.backend_id, (uint8_t *)pixels + i * PAGE_SIZE, true)) != 0)
            return fail("grant framebuffer page %u: %ld", i, rc);
        dirs[i / FBFRONT_REFS_PER_DIR][i % FBFRONT_REFS_PER_DIR] = FBFRONT_GREF_FB(i);
    }
    wmb(); /* the directory's entries before its grant */
    for (uint32_t d = 0; d < ndirs; d++)
        if ((rc = gnttab_grant(FBFRONT_GREF_DIR(d), dev.backend_id, dirs[d], true)) != 0) return fail("grant directory page %u: %ld", d, rc);

    /* The shared page: zeroed (empty rings), the mode and the directory, then granted writable
     * (the backend moves out_cons and produces in the in ring). */
    for (unsigned i = 0; i < PAGE_SIZE; i++) page[i] = 0;
    I32(XENFB_PAGE_WIDTH) = (int32_t)width;
    I32(XENFB_PAGE_HEIGHT) = (int32_t)height;
    U32(XENFB_PAGE_LINE_LENGTH) = line_length;
    U32(XENFB_PAGE_MEM_LENGTH) = mem_length;
    U8(XENFB_PAGE_DEPTH) = XENFB_DEPTH;
    for (uint32_t d = 0; d < ndirs; d++) U32(XENFB_PAGE_PD + d * 4) = FBFRONT_GREF_DIR(d);
    out_prod_pvt = out_published = 0;
    pending = false;
    wmb();
    if ((rc = gnttab_grant(FBFRONT_GREF_PAGE, dev.backend_id, page, false)) != 0) return fail("grant the shared page: %ld", rc);
    if ((rc = events_alloc_unbound(dev.backend_id, &port)) != 0) return fail("alloc_unbound for domain %u: %ld", dev.backend_id, rc);
    if ((rc = events_watch(port)) != 0) return fail("unmask port %u: %ld", port, rc);
    info->port = port;
    if (xenbus_write_number(&dev, fe, "page-ref", FBFRONT_GREF_PAGE) < 0 || xenbus_write_number(&dev, fe, "event-channel", port) < 0 ||
        xenbus_write(&dev, fe, "protocol", FBFRONT_PROTOCOL) < 0 || xenbus_write(&dev, fe, "feature-update", "1") < 0 ||
        xenbus_write_number(&dev, fe, "state", XenbusStateInitialised) < 0)
        return -1;

    if (xenbus_wait_backend(&dev, XenbusStateConnected) < 0) return -1;
    /* Optional, as in Xen: absent (or not a number) means the backend polls the framebuffer. */
    uint64_t want;
    if (xenbus_read_number(&dev, dev.backend, "request-update", &want) < 0) want = 0;
    update_wanted = info->update = want == 1;
    if (xenbus_write_number(&dev, fe, "state", XenbusStateConnected) < 0) return -1;
    connected = true;
    return 0;
}

/* Is there a free slot in the out ring? out_cons is the backend's: one beyond out_prod (a broken
 * backend) counts as a full ring, so it gets no more events. */
static bool out_room(void) {
    uint32_t cons = U32(XENFB_PAGE_OUT_CONS);
    mb(); /* the slot is free (cons read) before we write it */
    return out_prod_pvt - cons < OUT_SLOTS;
}

static void put_event(uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
    volatile uint8_t *e = page + XENFB_OUT_RING_OFFS + (out_prod_pvt % OUT_SLOTS) * XENFB_OUT_EVENT_SIZE;
    for (unsigned i = 0; i < XENFB_OUT_EVENT_SIZE; i++) e[i] = 0;
    e[0] = XENFB_TYPE_UPDATE;
    *(volatile int32_t *)(e + XENFB_UPDATE_X) = (int32_t)x;
    *(volatile int32_t *)(e + XENFB_UPDATE_Y) = (int32_t)y;
    *(volatile int32_t *)(e + XENFB_UPDATE_WIDTH) = (int32_t)w;
    *(volatile int32_t *)(e + XENFB_UPDATE_HEIGHT) = (int32_t)h;
    out_prod_pvt++;
}

static void send_pending(void) {
    if (!pending || !out_room()) return;
    put_event(pend_x0, pend_y0, pend_x1 - pend_x0, pend_y1 - pend_y0);
    pending = false;
}

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

void fbfront_update(uint32_t x, uint32_t y, uint32_t w, uint32_t h) {
    if (!connected || !update_wanted || x >= width || y >= height) return;
    w = min32(w, width - x);
    h = min32(h, height - y);
    if (w == 0 || h == 0) return;
    if (pending) {
        pend_x0 = min32(pend_x0, x), pend_y0 = min32(pend_y0, y);
        pend_x1 = max32(pend_x1, x + w), pend_y1 = max32(pend_y1, y + h);
        send_pending();
    } else if (out_room()) {
        put_event(x, y, w, h);
    } else {
        pending = true;
        pend_x0 = x, pend_y0 = y, pend_x1 = x + w, pend_y1 = y + h;
    }
}

void fbfront_push(void) {
    if (!connected || out_prod_pvt == out_published) return;
    wmb(); /* the events before the index that publishes them (and the pixels before both) */
    U32(XENFB_PAGE_OUT_PROD) = out_prod_pvt;
    out_published = out_prod_pvt;
    mb(); /* out_prod visible before the backend is woken */
    events_send(port);
}

bool fbfront_pending(void) { return connected && pending; }

int fbfront_poll(void) {
    if (!connected) return -1;
    /* The in ring: nothing minios takes (Xen's only in event is a refresh-period hint). */
    uint32_t prod = U32(XENFB_PAGE_IN_PROD);
    rmb();
    if (U32(XENFB_PAGE_IN_CONS) != prod) {
        U32(XENFB_PAGE_IN_CONS) = prod;
        mb();
        events_send(port);
    }
    send_pending();
    fbfront_push();
    if (xenbus_check_backend(&dev) < 0) {
        connected = false;
        return -1;
    }
    return 0;
}

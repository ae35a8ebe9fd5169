/* blkfront: the handshake with the backend through the store, and the request ring.
 *
 *   frontend (device/vbd/<devid>)            backend (backend/vbd/<domid>/<devid>)
 *                                            state 2 (InitWait): the image is open
 *   watch <backend>/state, wait for >= 2
 *   ring page granted (writable), alloc_unbound(backend)
 *   ring-ref, event-channel, protocol; state 3
 *                                            reads them, binds the ring; state 4 (Connected)
 *   read sectors, info, feature-flush-cache;
 *   state 4
 *
 * The ring follows io/ring.h: requests are written at req_prod_pvt and published with req_prod
 * after a write fence; responses are consumed from rsp_cons up to rsp_prod (read after a read
 * fence), and rsp_event = rsp_cons + 1 is set before looking once more
 * (RING_FINAL_CHECK_FOR_RESPONSES), so the backend knows to notify for the next one. */
#include "../include/domus-abi.h"
#include "arch.h"
#include "blkfront.h"
#include "events.h"
#include "format.h"
#include "gnttab.h"
#include "sched.h"
#include "timer.h"
#include "xenbus.h"

/* What the frontend tells the backend its ring's layout is (io/protocols.h's names). */
#define BLKFRONT_PROTOCOL "riscv64-abi"

#define SECTORS_PER_PAGE (PAGE_SIZE / BLKIF_SECTOR_SIZE)

_Static_assert(SRING_HEADER_SIZE + BLKIF_RING_SLOTS * BLKIF_SLOT_SIZE <= SRING_PAGE_SIZE, "the ring fits its page");
_Static_assert(SRING_PAGE_SIZE == PAGE_SIZE, "the ring is one page");
_Static_assert(BLKIF_REQ_SEG + BLKIF_MAX_SEGMENTS_PER_REQUEST * BLKIF_SEG_SIZE <= BLKIF_REQUEST_SIZE, "segments fit");

static uint8_t ring_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
#define RING (ring_page)
#define HDR32(off) (*(volatile uint32_t *)(RING + (off)))
#define SLOT(idx) (RING + SRING_HEADER_SIZE + ((idx) & (BLKIF_RING_SLOTS - 1)) * BLKIF_SLOT_SIZE)

static uint32_t req_prod_pvt, rsp_cons;
static uint32_t port, handle;
static struct xenbus_dev dev;

/* Requests on the ring, by id; ids are never reused, so a stale or repeated response shows. */
static struct inflight {
    bool busy;
    uint8_t op;
    uint64_t id, sector;
} inflight[BLKIF_RING_SLOTS];
static uint64_t next_id = 1;
static unsigned busy_count;

static bool failed; /* a response failed since the last blkfront_finish */

#define fail(...) xenbus_fail(&dev, __VA_ARGS__)

const char *blkfront_error(void) { return dev.why; }

int blkfront_connect(uint64_t ms, struct blkfront_info *info) {
    if (xenbus_open(&dev, "vbd", "disk", BLKFRONT_TOKEN, ms) < 0) return -1;
    const char *fe = dev.frontend;
    uint64_t vdev;
    if (xenbus_read_number(&dev, fe, "virtual-device", &vdev) < 0) return -1;
    info->devid = dev.devid;
    info->backend_id = dev.backend_id;
    handle = (uint32_t)(vdev & 0xffff);
    format(info->backend, sizeof info->backend, "%s", dev.backend);
    if (xenbus_wait_backend(&dev, XenbusStateInitWait) < 0) return -1;

    /* The ring: zeroed, then SHARED_RING_INIT's event indices, then granted; the channel. */
    long rc = gnttab_init();
    if (rc != 0) return fail("grant table setup: %ld", rc);
    for (unsigned i = 0; i < PAGE_SIZE; i++) ring_page[i] = 0;
    HDR32(SRING_REQ_EVENT) = 1;
    HDR32(SRING_RSP_EVENT) = 1;
    req_prod_pvt = rsp_cons = 0;
    wmb();
    if ((rc = gnttab_grant(BLKFRONT_GREF_RING, info->backend_id, ring_page, false)) != 0) return fail("grant the ring: %ld", rc);
    if ((rc = events_alloc_unbound(info->backend_id, &port)) != 0) return fail("alloc_unbound for domain %u: %ld", info->backend_id, rc);
    if ((rc = events_watch(port)) != 0) return fail("unmask port %u: %ld", port, rc);
    info->port = port;
    if (xenbus_write_number(&dev, fe, "ring-ref", BLKFRONT_GREF_RING) < 0 || xenbus_write_number(&dev, fe, "event-channel", port) < 0 ||
        xenbus_write(&dev, fe, "protocol", BLKFRONT_PROTOCOL) < 0 || xenbus_write_number(&dev, fe, "state", XenbusStateInitialised) < 0)
        return -1;

    if (xenbus_wait_backend(&dev, XenbusStateConnected) < 0) return -1;
    uint64_t sector_size, vinfo, flush;
    const char *be = dev.backend;
    if (xenbus_read_number(&dev, be, "sectors", &info->sectors) < 0) return -1;
    if (xenbus_read_number(&dev, be, "sector-size", &sector_size) < 0) return -1;
    if (sector_size != BLKIF_SECTOR_SIZE)
        return fail("sector-size is %lu; minios speaks %u-byte sectors only", (unsigned long)sector_size, BLKIF_SECTOR_SIZE);
    if (xenbus_read_number(&dev, be, "info", &vinfo) < 0) return -1;
    /* Optional, as in Xen: absent (or not a number) means no flush. */
    if (xenbus_read_number(&dev, be, "feature-flush-cache", &flush) < 0) flush = 0;
    info->readonly = (vinfo & VDISK_READONLY) != 0;
    info->flush = flush == 1;
    return xenbus_write_number(&dev, fe, "state", XenbusStateConnected);
}

void blkfront_push(void) {
    wmb(); /* the requests before the index that publishes them */
    HDR32(SRING_REQ_PROD) = req_prod_pvt;
    mb(); /* req_prod visible before the backend is woken */
    /* Always notify: a spare event costs the backend one look; a missing one hangs us. */
    events_send(port);
}

static struct inflight *find(uint64_t id) {
    for (unsigned i = 0; i < BLKIF_RING_SLOTS; i++)
        if (inflight[i].busy && inflight[i].id == id) return &inflight[i];
    return NULL;
}

static const char *op_name(uint8_t op) {
    switch (op) {
    case BLKIF_OP_READ: return "read";
    case BLKIF_OP_WRITE: return "write";
    case BLKIF_OP_FLUSH_DISKCACHE: return "flush";
    default: return "op?";
    }
}

/* Consume the responses there are; returns how many. */
static unsigned take_responses(void) {
    unsigned taken = 0;
    for (;;) {
        uint32_t prod = HDR32(SRING_RSP_PROD);
        rmb(); /* the index before the responses (and the data) it covers */
        if (prod - rsp_cons > req_prod_pvt - rsp_cons) {
            if (!failed) fail("rsp_prod %u is beyond the requests (%u)", prod, req_prod_pvt);
            failed = true;
            return taken;
        }
        for (; rsp_cons != prod; rsp_cons++, taken++) {
            volatile uint8_t *s = SLOT(rsp_cons);
            uint64_t id = *(volatile uint64_t *)(s + BLKIF_RSP_ID);
            uint8_t op = s[BLKIF_RSP_OPERATION];
            int16_t status = *(volatile int16_t *)(s + BLKIF_RSP_STATUS);
            struct inflight *r = find(id);
            if (r == NULL) {
                if (!failed) fail("a response with id %lu, which no request in flight has", (unsigned long)id);
                failed = true;
                continue;
            }
            r->busy = false;
            busy_count--;
            if (failed) continue; /* keep the first failure */
            if (op != r->op) {
                fail("the response to %s id %lu (sector %lu) says operation %u", op_name(r->op), (unsigned long)id, (unsigned long)r->sector, op);
                failed = true;
            } else if (status != BLKIF_RSP_OKAY) {
                fail("%s id %lu at sector %lu: status %d", op_name(r->op), (unsigned long)id, (unsigned long)r->sector, status);
                failed = true;
            }
        }
        /* RING_FINAL_CHECK_FOR_RESPONSES: ask for an event for the next response, then look once
         * more, since one may have come before the backend could see the request. */
        HDR32(SRING_RSP_EVENT) = rsp_cons + 1;
        mb();
        if (HDR32(SRING_RSP_PROD) == rsp_cons) return taken;
    }
}

/* Wait until at most `left` requests are in flight, or fail: a failed response, the backend
 * closing, or no response for `timeout`. */
static int wait_until(unsigned left) {
    timer_arm(timer_now() + dev.timeout);
    for (;;) {
        events_take(port); /* before looking: an event after the look ends the sleep */
        if (take_responses() > 0) timer_arm(timer_now() + dev.timeout);
        if (failed) return -1;
        if (busy_count <= left) return 0;
        if (dev.changed) {
            dev.changed = false;
            if (xenbus_backend_state(&dev) < 0) return -1;
        }
        if (timer_take())
            return fail("no response from the backend for %lu ms (%u requests in flight)", (unsigned long)dev.timeout_ms, busy_count);
        sched_wait();
    }
}

int blkfront_queue(uint8_t op, uint64_t sector, const struct blkfront_seg *seg, unsigned nseg) {
    if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST || (nseg == 0) != (op == BLKIF_OP_FLUSH_DISKCACHE))
        return fail("a %s request with %u segments", op_name(op), nseg);
    for (unsigned i = 0; i < nseg; i++)
        if (seg[i].first_sect > seg[i].last_sect || seg[i].last_sect >= SECTORS_PER_PAGE)
            return fail("segment %u uses sectors %u..%u of its page", i, seg[i].first_sect, seg[i].last_sect);
    /* RING_FULL: every slot holds a request or a response not yet consumed. */
    if (req_prod_pvt - rsp_cons >= BLKIF_RING_SLOTS || busy_count == BLKIF_RING_SLOTS) {
        blkfront_push();
        if (wait_until(BLKIF_RING_SLOTS - 1) < 0) return -1;
    }
    struct inflight *r = NULL;
    for (unsigned i = 0; i < BLKIF_RING_SLOTS && r == NULL; i++)
        if (!inflight[i].busy) r = &inflight[i];
    *r = (struct inflight){.busy = true, .op = op, .id = next_id++, .sector = sector};
    busy_count++;

    volatile uint8_t *s = SLOT(req_prod_pvt);
    s[BLKIF_REQ_OPERATION] = op;
    s[BLKIF_REQ_NR_SEGMENTS] = (uint8_t)nseg;
    *(volatile uint16_t *)(s + BLKIF_REQ_HANDLE) = (uint16_t)handle;
    *(volatile uint64_t *)(s + BLKIF_REQ_ID) = r->id;
    *(volatile uint64_t *)(s + BLKIF_REQ_SECTOR) = sector;
    for (unsigned i = 0; i < nseg; i++) {
        volatile uint8_t *g = s + BLKIF_REQ_SEG + i * BLKIF_SEG_SIZE;
        *(volatile uint32_t *)(g + BLKIF_SEG_GREF) = seg[i].gref;
        g[BLKIF_SEG_FIRST_SECT] = seg[i].first_sect;
        g[BLKIF_SEG_LAST_SECT] = seg[i].last_sect;
    }
    req_prod_pvt++;
    return 0;
}

int blkfront_finish(void) {
    blkfront_push();
    int rc = wait_until(0);
    /* A failure ends this batch; whatever is still in flight is waited for by the next one. */
    failed = false;
    return rc;
}

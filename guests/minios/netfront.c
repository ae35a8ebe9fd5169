/* netfront: the handshake with the backend through the store, and the tx and rx rings.
 *
 *   frontend (device/vif/<devid>)            backend (backend/vif/<domid>/<devid>)
 *                                            state 2 (InitWait): the interface is ready
 *   watch <backend>/state, wait for >= 2
 *   tx and rx ring pages granted (writable), alloc_unbound(backend),
 *   rx pages granted (writable) and posted on the rx ring
 *   tx-ring-ref, rx-ring-ref, event-channel, request-rx-copy, feature-rx-notify; state 4
 *                                            reads them, binds both rings; state 4 (Connected)
 *
 * As Linux's netfront, the frontend goes from Initialising straight to Connected: it has
 * nothing to read from the backend before it publishes its rings.
 *
 * Both rings follow io/ring.h, as blkfront's: requests are written at req_prod_pvt and published
 * with req_prod after a write fence, then the port is notified; responses are consumed up to
 * rsp_prod (read before a read fence), then rsp_event = rsp_cons + 1 and one more look
 * (RING_FINAL_CHECK_FOR_RESPONSES). tx request ids are tx buffer numbers, rx request ids rx page
 * numbers: a response names the buffer it frees, in whatever order the backend answers. */
#include "../include/domus-abi.h"
#include "arch.h"
#include "events.h"
#include "format.h"
#include "gnttab.h"
#include "netfront.h"
#include "xenbus.h"

#define ETH_HLEN 14
#define TX_BUFFER_SIZE (PAGE_SIZE / NETFRONT_TX_PER_PAGE)

_Static_assert(SRING_HEADER_SIZE + NETIF_RING_SLOTS * NETIF_TX_SLOT_SIZE <= SRING_PAGE_SIZE, "the tx ring fits its page");
_Static_assert(SRING_HEADER_SIZE + NETIF_RING_SLOTS * NETIF_RX_SLOT_SIZE <= SRING_PAGE_SIZE, "the rx ring fits its page");
_Static_assert(SRING_PAGE_SIZE == PAGE_SIZE, "a ring is one page");
_Static_assert(NETFRONT_RX_BUFFERS <= NETIF_RING_SLOTS && NETFRONT_TX_BUFFERS <= NETIF_RING_SLOTS, "requests fit the rings");
_Static_assert(NETFRONT_MAX_FRAME <= TX_BUFFER_SIZE, "a tx frame stays inside its page");
_Static_assert(NETFRONT_GREF_END <= GRANT_TABLE_FRAMES * PAGE_SIZE / GRANT_ENTRY_V1_SIZE, "grant references fit the table");

static uint8_t tx_ring[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t rx_ring[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t rx_pages[NETFRONT_RX_BUFFERS][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t tx_pages[NETFRONT_TX_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

#define HDR32(ring, off) (*(volatile uint32_t *)((ring) + (off)))
#define TX_SLOT(idx) (tx_ring + SRING_HEADER_SIZE + ((idx) & (NETIF_RING_SLOTS - 1)) * NETIF_TX_SLOT_SIZE)
#define RX_SLOT(idx) (rx_ring + SRING_HEADER_SIZE + ((idx) & (NETIF_RING_SLOTS - 1)) * NETIF_RX_SLOT_SIZE)
#define U16(p, off) (*(volatile uint16_t *)((p) + (off)))
#define I16(p, off) (*(volatile int16_t *)((p) + (off)))
#define U32(p, off) (*(volatile uint32_t *)((p) + (off)))

static uint32_t tx_req_prod_pvt, tx_rsp_cons, rx_req_prod_pvt, rx_rsp_cons;
static uint32_t tx_published; /* req_prod as last published: requests from there on are queued */
static unsigned tx_shared = NETFRONT_TX_BUFFERS; /* netfront_send's buffers: 0..tx_shared-1 */
static bool tx_busy[NETFRONT_TX_BUFFERS]; /* on the ring, not answered yet */
static bool rx_busy[NETFRONT_RX_BUFFERS];
static uint32_t port;
static bool connected;
static struct xenbus_dev dev;
static struct netfront_stats stats;

#define fail(...) xenbus_fail(&dev, __VA_ARGS__)

const char *netfront_error(void) { return dev.why; }

const struct netfront_stats *netfront_stats(void) { return &stats; }

/* A response that breaks the protocol: counted; the first one's description is kept. */
#define protocol_error(...) do { if (stats.bad++ == 0) fail(__VA_ARGS__); } while (0)

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "xx:xx:xx:xx:xx:xx" */
static bool parse_mac(const char *s, uint8_t mac[ETH_ALEN]) {
    for (int i = 0; i < ETH_ALEN; i++) {
        int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);
        if (lo < 0 || s[2] != (i == ETH_ALEN - 1 ? '\0' : ':')) return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
        s += 3;
    }
    return true;
}

/* Put rx page `id` on the ring (published by push_rx). */
static void post_rx(uint16_t id) {
    volatile uint8_t *s = RX_SLOT(rx_req_prod_pvt);
    U16(s, NETIF_RX_REQ_ID) = id;
    U32(s, NETIF_RX_REQ_GREF) = NETFRONT_GREF_RX(id);
    rx_busy[id] = true;
    rx_req_prod_pvt++;
}

static void publish(uint8_t *ring, uint32_t req_prod_pvt) {
    wmb(); /* the requests (and a tx frame's bytes) before the index that publishes them */
    HDR32(ring, SRING_REQ_PROD) = req_prod_pvt;
    mb(); /* req_prod visible before the backend is woken */
}

int netfront_connect(uint64_t ms, struct netfront_info *info) {
    if (xenbus_open(&dev, "vif", "network interface", NETFRONT_TOKEN, ms) < 0) return -1;
    const char *fe = dev.frontend;
    char mac[32];
    if (xenbus_read(&dev, fe, "mac", mac, sizeof mac) < 0) return -1;
    if (!parse_mac(mac, info->mac)) return fail("%s/mac is \"%s\", not a MAC address", fe, mac);
    info->devid = dev.devid;
    info->backend_id = dev.backend_id;
    if (xenbus_wait_backend(&dev, XenbusStateInitWait) < 0) return -1;

    /* The rings: zeroed, then SHARED_RING_INIT's event indices, then granted; the channel. */
    long rc = gnttab_init();
    if (rc != 0) return fail("grant table setup: %ld", rc);
    for (unsigned i = 0; i < PAGE_SIZE; i++) tx_ring[i] = rx_ring[i] = 0;
    HDR32(tx_ring, SRING_REQ_EVENT) = HDR32(tx_ring, SRING_RSP_EVENT) = 1;
    HDR32(rx_ring, SRING_REQ_EVENT) = HDR32(rx_ring, SRING_RSP_EVENT) = 1;
    tx_req_prod_pvt = tx_rsp_cons = rx_req_prod_pvt = rx_rsp_cons = tx_published = 0;
    wmb();
    if ((rc = gnttab_grant(NETFRONT_GREF_TX_RING, dev.backend_id, tx_ring, false)) != 0) return fail("grant the tx ring: %ld", rc);
    if ((rc = gnttab_grant(NETFRONT_GREF_RX_RING, dev.backend_id, rx_ring, false)) != 0) return fail("grant the rx ring: %ld", rc);
    if ((rc = events_alloc_unbound(dev.backend_id, &port)) != 0) return fail("alloc_unbound for domain %u: %ld", dev.backend_id, rc);
    if ((rc = events_watch(port)) != 0) return fail("unmask port %u: %ld", port, rc);
    info->port = port;

    /* The backend writes received frames into the rx pages and only reads the tx pages. */
    for (uint16_t i = 0; i < NETFRONT_RX_BUFFERS; i++) {
        if ((rc = gnttab_grant(NETFRONT_GREF_RX(i), dev.backend_id, rx_pages[i], false)) != 0) return fail("grant rx page %u: %ld", i, rc);
        post_rx(i);
    }
    for (unsigned p = 0; p < NETFRONT_TX_PAGES; p++)
        if ((rc = gnttab_grant(NETFRONT_GREF_TX(p), dev.backend_id, tx_pages[p], true)) != 0) return fail("grant tx page %u: %ld", p, rc);
    publish(rx_ring, rx_req_prod_pvt);

    if (xenbus_write_number(&dev, fe, "tx-ring-ref", NETFRONT_GREF_TX_RING) < 0 ||
        xenbus_write_number(&dev, fe, "rx-ring-ref", NETFRONT_GREF_RX_RING) < 0 ||
        xenbus_write_number(&dev, fe, "event-channel", port) < 0 || xenbus_write(&dev, fe, "request-rx-copy", "1") < 0 ||
        xenbus_write(&dev, fe, "feature-rx-notify", "1") < 0 || xenbus_write_number(&dev, fe, "state", XenbusStateConnected) < 0)
        return -1;
    if (xenbus_wait_backend(&dev, XenbusStateConnected) < 0) return -1;
    connected = true;
    /* The backend looks at both rings when it binds them; one more look costs nothing. */
    events_send(port);
    return 0;
}

/* Consume the tx responses there are: their buffers are free again. */
static void take_tx(void) {
    for (;;) {
        uint32_t prod = HDR32(tx_ring, SRING_RSP_PROD);
        rmb(); /* the index before the responses it covers */
        if (prod - tx_rsp_cons > tx_req_prod_pvt - tx_rsp_cons) {
            protocol_error("tx rsp_prod %u is beyond the requests (%u)", prod, tx_req_prod_pvt);
            return;
        }
        for (; tx_rsp_cons != prod; tx_rsp_cons++) {
            volatile uint8_t *s = TX_SLOT(tx_rsp_cons);
            uint16_t id = U16(s, NETIF_TX_RSP_ID);
            int16_t status = I16(s, NETIF_TX_RSP_STATUS);
            if (id >= NETFRONT_TX_BUFFERS || !tx_busy[id]) {
                protocol_error("a tx response with id %u, which no frame in flight has", id);
                continue;
            }
            tx_busy[id] = false;
            if (status != NETIF_RSP_OKAY) stats.tx_errors++;
        }
        /* RING_FINAL_CHECK_FOR_RESPONSES */
        HDR32(tx_ring, SRING_RSP_EVENT) = tx_rsp_cons + 1;
        mb();
        if (HDR32(tx_ring, SRING_RSP_PROD) == tx_rsp_cons) return;
    }
}

/* Consume the rx responses there are: hand each frame over and post its page again. */
static void take_rx(void (*deliver)(const uint8_t *frame, size_t len)) {
    for (;;) {
        uint32_t prod = HDR32(rx_ring, SRING_RSP_PROD);
        rmb(); /* the index before the responses (and the frames) it covers */
        if (prod - rx_rsp_cons > rx_req_prod_pvt - rx_rsp_cons) {
            protocol_error("rx rsp_prod %u is beyond the requests (%u)", prod, rx_req_prod_pvt);
            return;
        }
        bool posted = false;
        for (; rx_rsp_cons != prod; rx_rsp_cons++) {
            volatile uint8_t *s = RX_SLOT(rx_rsp_cons);
            uint16_t id = U16(s, NETIF_RX_RSP_ID);
            uint16_t offset = U16(s, NETIF_RX_RSP_OFFSET);
            uint16_t flags = U16(s, NETIF_RX_RSP_FLAGS);
            int16_t status = I16(s, NETIF_RX_RSP_STATUS);
            if (id >= NETFRONT_RX_BUFFERS || !rx_busy[id]) {
                protocol_error("an rx response with id %u, which no posted page has", id);
                continue;
            }
            rx_busy[id] = false;
            if (status < 0) {
                stats.rx_errors++;
            } else if (status == 0 || (flags & NETRXF_more_data) != 0 || (uint32_t)offset + (uint32_t)status > PAGE_SIZE) {
                protocol_error("an rx response of %d bytes at offset %u, flags %x", status, offset, flags);
            } else {
                stats.rx++;
                deliver(rx_pages[id] + offset, (size_t)status);
            }
            post_rx(id);
            posted = true;
        }
        if (posted) {
            publish(rx_ring, rx_req_prod_pvt);
            events_send(port);
        }
        HDR32(rx_ring, SRING_RSP_EVENT) = rx_rsp_cons + 1;
        mb();
        if (HDR32(rx_ring, SRING_RSP_PROD) == rx_rsp_cons) return;
    }
}

int netfront_poll(void (*deliver)(const uint8_t *frame, size_t len)) {
    if (!connected) return -1;
    take_tx();
    take_rx(deliver);
    if (!dev.changed) return 0;
    dev.changed = false;
    /* Gone: Closing or Closed (we answer Closed, as a frontend does), or its nodes removed (an
     * unplug: both directories go, nothing to answer). Other states (a backend setting itself up
     * again) are waited out. */
    long s = xenbus_read_backend_state(&dev);
    if (s > XenbusStateUnknown && s < XenbusStateClosing) return 0;
    connected = false;
    if (s < 0) {
        char why[sizeof dev.why];
        format(why, sizeof why, "%s", dev.why);
        fail("the backend went away (%s)", why);
    } else if (s == XenbusStateUnknown) {
        fail("the backend went away (%s is gone)", dev.backend_state);
    } else {
        xenbus_write_number(&dev, dev.frontend, "state", XenbusStateClosed); /* best effort */
        fail("the backend is %s (%s = %ld)", xenbus_state_name((uint64_t)s), dev.backend_state, s);
    }
    return -1;
}

/* Put tx buffer `id` (its frame already in place) on the ring, unpublished: push_tx publishes. */
static void queue_tx(uint16_t id, size_t len) {
    volatile uint8_t *s = TX_SLOT(tx_req_prod_pvt);
    U32(s, NETIF_TX_REQ_GREF) = NETFRONT_GREF_TX(id / NETFRONT_TX_PER_PAGE);
    U16(s, NETIF_TX_REQ_OFFSET) = (uint16_t)(id % NETFRONT_TX_PER_PAGE * TX_BUFFER_SIZE);
    U16(s, NETIF_TX_REQ_FLAGS) = 0; /* the whole frame in this slot; checksums are filled in */
    U16(s, NETIF_TX_REQ_ID) = id;
    U16(s, NETIF_TX_REQ_SIZE) = (uint16_t)len;
    tx_busy[id] = true;
    tx_req_prod_pvt++;
    stats.tx++;
}

static void push_tx(void) {
    if (tx_req_prod_pvt == tx_published) return;
    publish(tx_ring, tx_req_prod_pvt);
    tx_published = tx_req_prod_pvt;
    /* Always notify: a spare event costs the backend one look; a missing one loses the frame. */
    events_send(port);
}

static uint8_t *tx_buffer(uint16_t id) { return tx_pages[id / NETFRONT_TX_PER_PAGE] + id % NETFRONT_TX_PER_PAGE * TX_BUFFER_SIZE; }

int netfront_send(const uint8_t *frame, size_t len) {
    if (!connected) return -1;
    if (len < ETH_HLEN || len > NETFRONT_MAX_FRAME) return fail("a frame of %lu bytes", (unsigned long)len);
    take_tx();
    uint16_t id = 0;
    while (id < tx_shared && tx_busy[id]) id++;
    if (id == tx_shared) {
        stats.tx_full++;
        return -1;
    }
    uint8_t *buf = tx_buffer(id);
    for (size_t i = 0; i < len; i++) buf[i] = frame[i];
    queue_tx(id, len);
    push_tx();
    return 0;
}

void netfront_tx_own(unsigned first) {
    if (first == 0) first = 1; /* netfront_send keeps one buffer at least */
    tx_shared = first < NETFRONT_TX_BUFFERS ? first : NETFRONT_TX_BUFFERS;
}

uint8_t *netfront_tx_buffer(unsigned id) {
    if (!connected || id < tx_shared || id >= NETFRONT_TX_BUFFERS || tx_busy[id]) return NULL;
    return tx_buffer((uint16_t)id);
}

int netfront_tx_queue(unsigned id, size_t len) {
    if (netfront_tx_buffer(id) == NULL) return -1;
    if (len < ETH_HLEN || len > NETFRONT_MAX_FRAME) return fail("a frame of %lu bytes", (unsigned long)len);
    queue_tx((uint16_t)id, len);
    return 0;
}

void netfront_tx_push(void) {
    if (connected) push_tx();
}

/* A Xen network frontend (netfront) for one interface: the xenbus handshake through the store,
 * then packets on the two shared rings of io/netif.h, tx (packets we send) and rx (pages we
 * offer for packets to us), one event channel for both. Whole Ethernet frames, no checksum
 * offload, no scatter-gather: every tx packet sits in one page (one slot), every rx packet is
 * copied by the backend into one page we posted. */
#ifndef MINIOS_NETFRONT_H
#define MINIOS_NETFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest frame: Ethernet without FCS or VLAN tag (14 + 1500). */
#define NETFRONT_MAX_FRAME 1514

/* rx pages on the ring at all times (each answered one is posted again), and tx buffers (two
 * per page, at offsets 0 and 2048). */
#define NETFRONT_RX_BUFFERS 64
#define NETFRONT_TX_BUFFERS 32
#define NETFRONT_TX_PER_PAGE 2
#define NETFRONT_TX_PAGES (NETFRONT_TX_BUFFERS / NETFRONT_TX_PER_PAGE)

/* Grant references: from the second grant-table frame (512) up, clear of the exchange's (8) and
 * of blkfront's and mode=disk's (16..274): the tx ring, the rx ring, the rx pages, the tx pages. */
#define NETFRONT_GREF_TX_RING 512
#define NETFRONT_GREF_RX_RING (NETFRONT_GREF_TX_RING + 1)
#define NETFRONT_GREF_RX(i) (NETFRONT_GREF_RX_RING + 1 + (i))
#define NETFRONT_GREF_TX(page) (NETFRONT_GREF_RX(NETFRONT_RX_BUFFERS) + (page))
#define NETFRONT_GREF_END NETFRONT_GREF_TX(NETFRONT_TX_PAGES)

/* The store token of the backend-state watch. */
#define NETFRONT_TOKEN "vif"

#define ETH_ALEN 6

struct netfront_info {
    uint32_t devid;      /* the name below device/vif (the config's vif index) */
    uint32_t backend_id; /* the backend's domain (0) */
    uint32_t port;       /* the rings' event channel */
    uint8_t mac[ETH_ALEN];
};

/* What went through the rings since connecting. */
struct netfront_stats {
    uint64_t rx;        /* frames received (handed to the handler) */
    uint64_t rx_errors; /* rx responses with an error status (NETIF_RSP_*) */
    uint64_t tx;        /* frames put on the tx ring */
    uint64_t tx_errors; /* tx responses with a status other than NETIF_RSP_OKAY */
    uint64_t tx_full;   /* frames not sent: every tx buffer was in flight */
    uint64_t bad;       /* responses that break the protocol (unknown id, beyond the page, ...) */
};

/* Finds the first device under device/vif and connects to its backend (see README.md). Each
 * wait for the backend gives up after timeout_ms. Returns 0 and fills *info, or -1 with
 * netfront_error(). Needs the store ring (xs_init) and the wake hook that reads the store's
 * watch events (control_poll through sched_wake_hook). */
int netfront_connect(uint64_t timeout_ms, struct netfront_info *info);

/* Takes what the backend answered: frees the tx buffers of sent frames, hands every received
 * frame to `deliver` (which may call netfront_send; the frame is gone once it returns) and posts
 * its page again. Call after the port fired, before sleeping (take the event first). Returns 0,
 * or -1 with netfront_error() if the backend went away (closed, or its nodes were removed). */
int netfront_poll(void (*deliver)(const uint8_t *frame, size_t len));

/* Copies a frame (14..NETFRONT_MAX_FRAME bytes) into a free tx buffer of its own (see
 * netfront_tx_own), puts it on the ring and notifies the backend. Returns 0, or -1 if the frame
 * was not sent (no free buffer: counted in tx_full; a bad length). Never waits. */
int netfront_send(const uint8_t *frame, size_t len);

/* Hands tx buffers first..NETFRONT_TX_BUFFERS-1 to the caller, who builds frames in place in
 * them (a buffer keeps its bytes between two sends, so only what changes need be written);
 * netfront_send keeps to buffers 0..first-1 (at least one). netfront_tx_own(NETFRONT_TX_BUFFERS)
 * gives them all back. */
void netfront_tx_own(unsigned first);

/* The bytes of owned tx buffer `id` (NETFRONT_MAX_FRAME of them), or NULL if it is in flight
 * (or not owned). netfront_poll frees buffers whose responses came. */
uint8_t *netfront_tx_buffer(unsigned id);

/* Puts owned buffer `id`, holding a frame of `len` bytes, on the tx ring, unpublished; returns
 * 0, or -1 if it is in flight or the length is bad. netfront_tx_push publishes what was queued
 * and notifies the backend once. */
int netfront_tx_queue(unsigned id, size_t len);
void netfront_tx_push(void);

const struct netfront_stats *netfront_stats(void);

/* The last failure: the connection's, the backend's going, or the first protocol error. */
const char *netfront_error(void);

#endif

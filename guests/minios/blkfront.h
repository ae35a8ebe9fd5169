/* A Xen block frontend (blkfront) for one disk: the xenbus handshake through the store, then
 * requests on the shared blkif ring (io/blkif.h, io/ring.h). The caller owns and grants the data
 * pages; blkfront puts requests on the ring and matches the responses to them by id. */
#ifndef MINIOS_BLKFRONT_H
#define MINIOS_BLKFRONT_H

#include <stdbool.h>
#include <stdint.h>

/* Grant references: the ring page at BLKFRONT_GREF_RING, the caller's data pages from
 * BLKFRONT_GREF_DATA up. Above the exchange's reference (8), so the modes never share one. */
#define BLKFRONT_GREF_RING 16
#define BLKFRONT_GREF_DATA (BLKFRONT_GREF_RING + 1)

/* The store token of the backend-state watch. */
#define BLKFRONT_TOKEN "vbd"

struct blkfront_info {
    uint32_t devid;      /* virtual-device, e.g. 51712 for xvda */
    uint32_t backend_id; /* the backend's domain (0) */
    uint32_t port;       /* the ring's event channel */
    uint64_t sectors;    /* of BLKIF_SECTOR_SIZE bytes */
    bool readonly;       /* info has VDISK_READONLY */
    bool flush;          /* feature-flush-cache = 1 */
    char backend[128];   /* the backend's directory, absolute */
};

/* Finds the first device under device/vbd and connects to its backend (Xen's handshake; see
 * README.md). Each wait for the backend gives up after timeout_ms. Returns 0 and fills *info, or
 * -1 with blkfront_error(). Needs the store ring (xs_init) and the wake hook that reads the
 * store's watch events (control_poll through sched_wake_hook). */
int blkfront_connect(uint64_t timeout_ms, struct blkfront_info *info);

/* One segment: a granted page and the sectors used in it, first..last inclusive (0..7). */
struct blkfront_seg {
    uint32_t gref;
    uint8_t first_sect, last_sect;
};

/* Puts one request on the ring (published by the next blkfront_push or blkfront_finish, or
 * when the ring is full, which then waits for a free slot). nseg is 1..11 for reads and
 * writes, 0 for BLKIF_OP_FLUSH_DISKCACHE. Returns 0, or -1 with blkfront_error(). */
int blkfront_queue(uint8_t op, uint64_t sector, const struct blkfront_seg *seg, unsigned nseg);

/* Publishes the queued requests and notifies the backend. */
void blkfront_push(void);

/* Publishes, then waits until every request is answered. Returns 0, or -1 with
 * blkfront_error() naming the first failure: a status other than BLKIF_RSP_OKAY, a response
 * that matches no request, the backend closing, or no progress for timeout_ms. */
int blkfront_finish(void);

const char *blkfront_error(void);

#endif

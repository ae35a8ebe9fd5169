/* A Xen framebuffer frontend (vfb, io/fbif.h) for one screen: a framebuffer of 32-bit pixels in
 * minios's memory, described to the backend by one shared page (struct xenfb_page: the mode, a
 * directory of the framebuffer's pages, two event rings), and the xenbus handshake through the
 * store. minios draws into the pixels and sends "update" events naming changed rectangles.
 * Domus departure (kernel/public/xen/fbif.ts): `page-ref` and the directory entries are grant
 * references to the backend's domain, not machine frame numbers. */
#ifndef MINIOS_FBFRONT_H
#define MINIOS_FBFRONT_H

#include <stdbool.h>
#include <stdint.h>
#include "options.h"

/* The largest framebuffer: FB_MAX_WIDTH x FB_MAX_HEIGHT at 4 bytes a pixel (3 MiB), in pages, and
 * the directory pages that list them (1024 references each). */
#define FBFRONT_BYTES_PER_PIXEL 4
#define FBFRONT_MAX_PAGES ((FB_MAX_WIDTH * FB_MAX_HEIGHT * FBFRONT_BYTES_PER_PIXEL + 4095) / 4096)
#define FBFRONT_REFS_PER_DIR 1024
#define FBFRONT_MAX_DIRS ((FBFRONT_MAX_PAGES + FBFRONT_REFS_PER_DIR - 1) / FBFRONT_REFS_PER_DIR)

/* Grant references: from 1025 up (the third quarter of the table), clear of the exchange's (8),
 * blkfront's (16..274), netfront's (512..593) and kbdfront's (1024): the shared page, the
 * directory pages, then the framebuffer's pages in order (1027..1794 for 1024x768). */
#define FBFRONT_GREF_PAGE 1025
#define FBFRONT_GREF_DIR(i) (FBFRONT_GREF_PAGE + 1 + (i))
#define FBFRONT_GREF_FB(i) (FBFRONT_GREF_DIR(FBFRONT_MAX_DIRS) + (i))
#define FBFRONT_GREF_END FBFRONT_GREF_FB(FBFRONT_MAX_PAGES)

/* The store token of the backend-state watch. */
#define FBFRONT_TOKEN "vfb"

struct fbfront_info {
    uint32_t devid;       /* the name below device/vfb (0) */
    uint32_t backend_id;  /* the backend's domain (0) */
    uint32_t port;        /* the shared page's event channel */
    uint32_t pages;       /* framebuffer pages granted */
    bool update;          /* the backend asked for update events (request-update = 1) */
};

/* Sets the mode (width x height, 32 bpp x8r8g8b8, lines of width * 4 bytes) and returns the
 * pixels, all zero (black), row after row: pixel (x, y) is [y * width + x] = 0x00RRGGBB. Draw
 * there before or after connecting. Returns NULL if the mode is beyond FB_MAX_WIDTH x
 * FB_MAX_HEIGHT (fbfront_error says so). */
uint32_t *fbfront_init(uint32_t width, uint32_t height);

/* Finds the first device under device/vfb and connects to its backend (see README.md). Each wait
 * for the backend gives up after timeout_ms. Returns 0 and fills *info, or -1 with
 * fbfront_error(). Needs the store ring (xs_init) and the wake hook that reads the store's watch
 * events (control_poll through sched_wake_hook). */
int fbfront_connect(uint64_t timeout_ms, struct fbfront_info *info);

/* The rectangle changed: queues an update event (published by fbfront_push). If the backend did
 * not ask for updates it does nothing; if the out ring is full the rectangle is merged into one
 * pending update, sent when the backend has made room (fbfront_poll). */
void fbfront_update(uint32_t x, uint32_t y, uint32_t width, uint32_t height);

/* Publishes the queued update events and notifies the backend (if there are any). */
void fbfront_push(void);

/* Is an update waiting for room in the out ring? (Then poll again later: the backend may not
 * notify when it consumes.) */
bool fbfront_pending(void);

/* Takes what the backend did: consumes (and ignores) in-ring events, sends a pending update if
 * the out ring has room, and follows the backend's state. Call after the port fired (take the
 * event first). Returns 0, or -1 with fbfront_error() if the backend went away. */
int fbfront_poll(void);

const char *fbfront_error(void);

#endif

/* The xenstore client: the byte rings of struct xenstore_domain_interface, and messages on
 * them. The kernel relays both rings to the store; this side produces into `req`, consumes
 * from `rsp`, and notifies the store port after each, so the relay looks again (it may be
 * holding replies that did not fit). */
#include <stdbool.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "byte-ring.h"
#include "events.h"
#include "ring.h"
#include "sched.h"
#include "xenstore.h"

static volatile uint8_t *ring;
static uint32_t port;
static uint32_t next_req_id = 1;
static const char *error = "";
static char error_name[16];
/* A request is being sent or waits for its reply: a poll from a wait inside it (the wake hook)
 * must not use the rings. */
static bool in_request;

#define RING32(off) (*(volatile uint32_t *)(ring + (off)))

/* Events kept while waiting for a reply; more than this are dropped (a watcher reads the
 * value again on the next event anyway). */
#define MAX_EVENTS 8
static struct { uint8_t payload[256]; uint32_t len; } events[MAX_EVENTS];
static unsigned events_head, events_count;

/* One message in: the header and up to XENSTORE_PAYLOAD_MAX bytes (+1 for a NUL). */
static uint8_t header[XS_HEADER_SIZE];
static uint8_t payload[XENSTORE_PAYLOAD_MAX + 1];

static size_t str_len(const char *s) {
    size_t n = 0;
    while (s[n] != '\0') n++;
    return n;
}

static void copy_str(char *dst, size_t size, const uint8_t *src, size_t n) {
    if (size == 0) return;
    if (n >= size) n = size - 1;
    for (size_t i = 0; i < n; i++) dst[i] = (char)src[i];
    dst[n] = '\0';
}

/* Sleep until the store port fires (returns at once if it already has). */
static void wait_store(void) {
    if (!events_take(port)) sched_wait();
}

static const struct byte_ring req = {XS_RING_REQ, XENSTORE_RING_SIZE, XS_RING_REQ_CONS, XS_RING_REQ_PROD};

static void notify_store(void) { events_send(port); }

static void ring_put(const void *data, size_t n) {
    byte_ring_put(ring, &req, data, n, notify_store, wait_store);
}

static void ring_get(void *data, size_t n) {
    uint8_t *p = data;
    while (n > 0) {
        uint32_t prod = RING32(XS_RING_RSP_PROD);
        uint32_t cons = RING32(XS_RING_RSP_CONS);
        rmb(); /* the index before the bytes it covers */
        uint32_t avail = ring_readable(prod, cons, XENSTORE_RING_SIZE);
        if (avail == 0) {
            wait_store();
            continue;
        }
        for (; avail > 0 && n > 0; avail--, n--) *p++ = ring[XS_RING_RSP + ring_index(cons++, XENSTORE_RING_SIZE)];
        mb(); /* finish reading before handing the space back */
        RING32(XS_RING_RSP_CONS) = cons;
        events_send(port);
    }
}

static uint32_t get32(const uint8_t *b, uint32_t off) {
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
}

static void put32(uint8_t *b, uint32_t off, uint32_t v) {
    for (int i = 0; i < 4; i++) b[off + i] = (uint8_t)(v >> (8 * i));
}

/* Reads one message into header/payload; returns its payload length. */
static uint32_t read_message(void) {
    ring_get(header, sizeof header);
    uint32_t len = get32(header, XS_HDR_LEN);
    if (len > XENSTORE_PAYLOAD_MAX) len = XENSTORE_PAYLOAD_MAX; /* the store never sends more */
    ring_get(payload, len);
    payload[len] = 0;
    return len;
}

void xs_init(volatile uint8_t *r, uint32_t p) {
    ring = r;
    port = p;
    events_watch(port);
}

const char *xs_error(void) { return error; }

/* Puts a request made of `n` strings (each with its NUL, except a WRITE's value) on the ring
 * without waiting for its reply. Returns its request id, or 0 (too long). */
static uint32_t send_request(uint32_t type, const char *const *parts, const bool *nul, int n) {
    uint32_t len = 0;
    for (int i = 0; i < n; i++) len += (uint32_t)str_len(parts[i]) + (nul[i] ? 1 : 0);
    if (len > XENSTORE_PAYLOAD_MAX) {
        error = "request too long";
        return 0;
    }
    uint32_t id = next_req_id++;
    uint8_t h[XS_HEADER_SIZE];
    put32(h, XS_HDR_TYPE, type);
    put32(h, XS_HDR_REQ_ID, id);
    put32(h, XS_HDR_TX_ID, 0);
    put32(h, XS_HDR_LEN, len);
    ring_put(h, sizeof h);
    for (int i = 0; i < n; i++) ring_put(parts[i], str_len(parts[i]) + (nul[i] ? 1 : 0));
    return id;
}

/* Keeps the watch event in header/payload for xs_next_event / xs_poll_event. */
static void keep_event(uint32_t got) {
    if (events_count < MAX_EVENTS && got <= sizeof events[0].payload) {
        unsigned slot = (events_head + events_count++) % MAX_EVENTS;
        for (uint32_t i = 0; i < got; i++) events[slot].payload[i] = payload[i];
        events[slot].len = got;
    }
}

/* Sends a request and waits for its reply, keeping watch events that come first. Returns the
 * reply's length, or -1. */
static int request(uint32_t type, const char *const *parts, const bool *nul, int n) {
    in_request = true; /* from here: a wait while the ring has no room counts too */
    uint32_t id = send_request(type, parts, nul, n);
    if (id == 0) {
        in_request = false;
        return -1;
    }
    for (;;) {
        uint32_t got = read_message();
        uint32_t t = get32(header, XS_HDR_TYPE);
        if (t == XS_WATCH_EVENT) {
            keep_event(got);
            continue;
        }
        if (get32(header, XS_HDR_REQ_ID) != id) continue; /* a reply nobody waits for (xs_watch_nowait's) */
        in_request = false;
        if (t == XS_ERROR) {
            copy_str(error_name, sizeof error_name, payload, str_len((const char *)payload));
            error = error_name;
            return -1;
        }
        return (int)got;
    }
}

int xs_write(const char *path, const char *value) {
    const char *parts[] = {path, value};
    const bool nul[] = {true, false};
    return request(XS_WRITE, parts, nul, 2) < 0 ? -1 : 0;
}

int xs_read(const char *path, char *buf, size_t size) {
    const char *parts[] = {path};
    const bool nul[] = {true};
    int n = request(XS_READ, parts, nul, 1);
    if (n < 0) return -1;
    copy_str(buf, size, payload, (size_t)n);
    return n < (int)size ? n : (int)size - 1;
}

int xs_directory(const char *path, char *buf, size_t size) {
    const char *parts[] = {path};
    const bool nul[] = {true};
    int n = request(XS_DIRECTORY, parts, nul, 1);
    if (n < 0) return -1;
    if (size == 0) return 0;
    /* The names, each with its NUL; if they do not all fit, keep the whole names that do. */
    size_t keep = (size_t)n;
    if (keep >= size) {
        keep = 0;
        for (size_t i = 0; i + 1 < size; i++)
            if (payload[i] == 0) keep = i + 1;
    }
    for (size_t i = 0; i < keep; i++) buf[i] = (char)payload[i];
    buf[keep] = '\0';
    return (int)keep;
}

int xs_watch(const char *path, const char *token) {
    const char *parts[] = {path, token};
    const bool nul[] = {true, true};
    return request(XS_WATCH, parts, nul, 2) < 0 ? -1 : 0;
}

int xs_watch_nowait(const char *path, const char *token) {
    const char *parts[] = {path, token};
    const bool nul[] = {true, true};
    return send_request(XS_WATCH, parts, nul, 2) == 0 ? -1 : 0;
}

/* "path\0token\0" */
static void split_event(const uint8_t *p, uint32_t len, char *path, size_t path_size, char *token, size_t token_size) {
    size_t n = 0;
    while (n < len && p[n] != 0) n++;
    copy_str(path, path_size, p, n);
    size_t t = n + 1 < len ? n + 1 : len, m = 0;
    while (t + m < len && p[t + m] != 0) m++;
    copy_str(token, token_size, p + t, m);
}

static bool take_kept(char *path, size_t path_size, char *token, size_t token_size) {
    if (events_count == 0) return false;
    split_event(events[events_head].payload, events[events_head].len, path, path_size, token, token_size);
    events_head = (events_head + 1) % MAX_EVENTS;
    events_count--;
    return true;
}

void xs_next_event(char *path, size_t path_size, char *token, size_t token_size) {
    if (take_kept(path, path_size, token, token_size)) return;
    for (;;) {
        uint32_t len = read_message();
        if (get32(header, XS_HDR_TYPE) == XS_WATCH_EVENT) {
            split_event(payload, len, path, path_size, token, token_size);
            return;
        }
        /* A reply nobody waits for: nothing to do with it. */
    }
}

/* Is a whole message in `rsp`? (Then reading it cannot block.) */
static bool message_ready(void) {
    uint32_t prod = RING32(XS_RING_RSP_PROD);
    uint32_t cons = RING32(XS_RING_RSP_CONS);
    rmb();
    uint32_t avail = ring_readable(prod, cons, XENSTORE_RING_SIZE);
    if (avail < XS_HEADER_SIZE) return false;
    uint8_t h[XS_HEADER_SIZE];
    for (uint32_t i = 0; i < XS_HEADER_SIZE; i++) h[i] = ring[XS_RING_RSP + ring_index(cons + i, XENSTORE_RING_SIZE)];
    uint32_t len = get32(h, XS_HDR_LEN);
    if (len > XENSTORE_PAYLOAD_MAX) len = XENSTORE_PAYLOAD_MAX;
    return avail - XS_HEADER_SIZE >= len;
}

bool xs_poll_event(char *path, size_t path_size, char *token, size_t token_size) {
    /* From a wait inside a request (a wake hook): the ring is the request's until its reply;
     * the events it keeps are taken after it. */
    if (ring == NULL || in_request) return false;
    if (take_kept(path, path_size, token, token_size)) return true;
    while (message_ready()) {
        uint32_t len = read_message();
        if (get32(header, XS_HDR_TYPE) == XS_WATCH_EVENT) {
            split_event(payload, len, path, path_size, token, token_size);
            return true;
        }
    }
    return false;
}

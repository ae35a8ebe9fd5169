/* The exchange. Events are only hints: each side acts on what it finds in the peer's page,
 * so a lost, early or spurious event costs a wait, never a wrong answer.
 *
 *   server                                   client
 *   fill offer page, grant it (ref 8)
 *   alloc_unbound(peer) -> port P            bind_interdomain(server, P), retrying until
 *     (P = max(console, store port) + 1,       the server has allocated it
 *      which the client computes the same)   copy server's ref 8, check the offer
 *                                            write the reply page, grant it (ref 8)
 *   <- event --------------------------------- send
 *   copy client's ref 8, check the reply
 *   send ---------------------------------- -> event: the server has the reply
 *   "exchange ok", power off                 "exchange ok", power off
 */
#include <stdbool.h>
#include "../include/domus-abi.h"
#include "arch.h"
#include "console.h"
#include "events.h"
#include "exchange.h"
#include "gnttab.h"
#include "sched.h"
#include "timer.h"

/* The first reference outside Xen's reserved ones: both sides grant their page here. */
#define EXCHANGE_GREF GNTTAB_NR_RESERVED_ENTRIES
#define EXCHANGE_MAGIC 0x78636867u /* "xchg" */
#define BIND_RETRY_MS 50

enum kind { OFFER = 1, REPLY = 2 };

struct page {
    uint32_t magic, kind;
    uint8_t data[PAGE_SIZE - 8];
};
_Static_assert(sizeof(struct page) == PAGE_SIZE, "one granted page");

/* Each side grants one of these and copies the peer's into the other. */
static struct page mine __attribute__((aligned(PAGE_SIZE)));
static struct page theirs __attribute__((aligned(PAGE_SIZE)));

/* Not periodic within the page, so a copy from a wrong offset or frame shows. */
static uint8_t offer_byte(uint32_t i) { return (uint8_t)(i * 167 + (i >> 8) + 0x5a); }

/* The client's answer: the offer reversed and inverted, so it proves the offer was read. */
static uint8_t reply_byte(uint32_t i) { return (uint8_t)~offer_byte((uint32_t)sizeof mine.data - 1 - i); }

static void fill(struct page *p, enum kind k) {
    p->magic = EXCHANGE_MAGIC;
    p->kind = k;
    for (uint32_t i = 0; i < sizeof p->data; i++) p->data[i] = k == OFFER ? offer_byte(i) : reply_byte(i);
}

/* Index of the first wrong byte of the page (header counts as byte 0), or -1. */
static long first_difference(const struct page *p, enum kind k) {
    if (p->magic != EXCHANGE_MAGIC || p->kind != k) return 0;
    for (uint32_t i = 0; i < sizeof p->data; i++)
        if (p->data[i] != (k == OFFER ? offer_byte(i) : reply_byte(i))) return (long)(i + 8);
    return -1;
}

/* Both sides compute the server's port from their own start_info: see README.md. */
static uint32_t server_port(const struct boot_info *b) {
    return (b->console_port > b->store_port ? b->console_port : b->store_port) + 1;
}

#define fail(...) fail_report("exchange", __VA_ARGS__)

static int ok(void) {
    printk("minios: exchange ok (%lu bytes)\n", (unsigned long)PAGE_SIZE);
    return 0;
}

/* Wait until `port` fires (true) or time reaches `until` (false). Port 0 only sleeps. */
static bool wait_for(uint32_t port, uint64_t until) {
    timer_arm(until);
    for (;;) {
        if (port != 0 && events_take(port)) return true;
        if (timer_take()) return false;
        sched_wait();
    }
}

static uint64_t deadline(const struct options *o) { return timer_now() + timer_ms(o->timeout_ms); }

int exchange_server(const struct boot_info *b, const struct options *o) {
    uint64_t until = deadline(o);
    long rc = gnttab_init();
    if (rc != 0) return fail("grant table setup: %ld", rc);
    /* Grant before allocating the port: once the client can bind, the offer is there. */
    fill(&mine, OFFER);
    if ((rc = gnttab_grant(EXCHANGE_GREF, o->peer, &mine, true)) != 0) return fail("grant: %ld", rc);
    uint32_t port;
    if ((rc = events_alloc_unbound(o->peer, &port)) != 0) return fail("alloc_unbound for domain %u: %ld", o->peer, rc);
    if (port != server_port(b))
        return fail("got port %u, but the client will bind to port %u", port, server_port(b));
    if ((rc = events_watch(port)) != 0) return fail("unmask port %u: %ld", port, rc);

    /* Look before each wait: the client's event may have come before we watched the port. */
    long status;
    for (;;) {
        status = gnttab_copy_from(o->peer, EXCHANGE_GREF, &theirs, PAGE_SIZE);
        if (status == GNTST_okay && theirs.magic == EXCHANGE_MAGIC && theirs.kind == REPLY) break;
        if (!wait_for(port, until)) return fail("no reply from domain %u (last copy status %ld)", o->peer, status);
    }
    long bad = first_difference(&theirs, REPLY);
    if (bad >= 0) return fail("reply from domain %u differs at byte %ld", o->peer, bad);
    events_send(port); /* the acknowledgement: the client may go now */
    return ok();
}

int exchange_client(const struct boot_info *b, const struct options *o) {
    uint64_t until = deadline(o);
    long rc = gnttab_init();
    if (rc != 0) return fail("grant table setup: %ld", rc);
    uint32_t port, remote = server_port(b);
    /* The server may not have booted yet: retry until it has allocated its port. */
    while ((rc = events_bind_interdomain(o->peer, remote, &port)) != 0) {
        uint64_t now = timer_now(), retry = now + timer_ms(BIND_RETRY_MS);
        if (now >= until) return fail("cannot bind to domain %u port %u: %ld", o->peer, remote, rc);
        wait_for(0, retry < until ? retry : until);
    }
    long status = gnttab_copy_from(o->peer, EXCHANGE_GREF, &theirs, PAGE_SIZE);
    if (status != GNTST_okay) return fail("copy from domain %u grant %u: status %ld", o->peer, EXCHANGE_GREF, status);
    long bad = first_difference(&theirs, OFFER);
    if (bad >= 0) return fail("offer from domain %u differs at byte %ld", o->peer, bad);
    fill(&mine, REPLY);
    if ((rc = gnttab_grant(EXCHANGE_GREF, o->peer, &mine, true)) != 0) return fail("grant: %ld", rc);
    /* Binding may leave the new port pending (Xen does so, in case the unbound port missed a
     * notification). Drop that, so the next event can only be the server's acknowledgement. */
    events_discard(port);
    if ((rc = events_watch(port)) != 0) return fail("unmask port %u: %ld", port, rc);
    if ((rc = events_send(port)) != 0) return fail("notify port %u: %ld", port, rc);
    if (!wait_for(port, until)) return fail("no acknowledgement from domain %u", o->peer);
    return ok();
}

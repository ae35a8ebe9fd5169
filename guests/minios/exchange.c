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
 *
 * With share=map the server grants its page writable and the client maps it instead of copying:
 * it checks the offer and writes its reply through the mapping, unmaps, then sends. The server
 * waits until the reply is in its own page and its entry's GTF_reading/GTF_writing are clear.
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
/* share=map: where the client maps the server's page; its own (zero) page again after the unmap. */
static struct page window __attribute__((aligned(PAGE_SIZE)));

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

static int ok(const struct options *o) {
    printk("minios: exchange ok (%lu bytes%s)\n", (unsigned long)PAGE_SIZE, o->share == SHARE_MAP ? ", mapped" : "");
    return 0;
}

/* The peer's reply is in `p` (which it may still be writing: check the bytes after a fence). */
static bool has_reply(const struct page *p) {
    const volatile struct page *v = p;
    return v->magic == EXCHANGE_MAGIC && v->kind == REPLY;
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
    /* Mapped, the page takes the client's reply: only then is it granted writable. */
    uint32_t grantee = o->grantee != UINT32_MAX ? o->grantee : o->peer; /* another: a test of refusal */
    if ((rc = gnttab_grant(EXCHANGE_GREF, grantee, &mine, o->share == SHARE_COPY)) != 0) return fail("grant: %ld", rc);
    uint32_t port;
    if ((rc = events_alloc_unbound(o->peer, &port)) != 0) return fail("alloc_unbound for domain %u: %ld", o->peer, rc);
    if (port != server_port(b))
        return fail("got port %u, but the client will bind to port %u", port, server_port(b));
    if ((rc = events_watch(port)) != 0) return fail("unmask port %u: %ld", port, rc);

    /* Look before each wait: the client's event may have come before we watched the port. */
    const struct page *reply = &theirs;
    if (o->share == SHARE_MAP) {
        reply = &mine;
        while (!has_reply(&mine) || (gnttab_flags(EXCHANGE_GREF) & (GTF_reading | GTF_writing)) != 0)
            if (!wait_for(port, until))
                return fail("no reply from domain %u in our page (entry flags 0x%x)", o->peer, gnttab_flags(EXCHANGE_GREF));
        rmb();
    } else {
        long status;
        for (;;) {
            status = gnttab_copy_from(o->peer, EXCHANGE_GREF, &theirs, PAGE_SIZE);
            if (status == GNTST_okay && has_reply(&theirs)) break;
            if (!wait_for(port, until)) return fail("no reply from domain %u (last copy status %ld)", o->peer, status);
        }
    }
    long bad = first_difference(reply, REPLY);
    if (bad >= 0) return fail("reply from domain %u differs at byte %ld", o->peer, bad);
    events_send(port); /* the acknowledgement: the client may go now */
    return ok(o);
}

/* share=map: the offer is checked and the reply written through a mapping of the server's page. */
static int reply_through_mapping(const struct options *o) {
    uint32_t handle;
    long status = gnttab_map(o->peer, EXCHANGE_GREF, &window, false, &handle);
    if (status != GNTST_okay) return fail("map domain %u grant %u: status %ld", o->peer, EXCHANGE_GREF, status);
    long bad = first_difference(&window, OFFER);
    if (bad >= 0) return fail("mapped offer from domain %u differs at byte %ld", o->peer, bad);
    fill(&window, REPLY);
    wmb();
    if ((status = gnttab_unmap(&window, handle)) != GNTST_okay) return fail("unmap: status %ld", status);
    if (((const volatile struct page *)&window)->magic != 0) return fail("our page still shows domain %u's after the unmap", o->peer);
    return 0;
}

/* share=copy: the offer is copied here and checked, and the reply granted for the server to copy. */
static int reply_through_copies(const struct options *o) {
    long status = gnttab_copy_from(o->peer, EXCHANGE_GREF, &theirs, PAGE_SIZE);
    if (status != GNTST_okay) return fail("copy from domain %u grant %u: status %ld", o->peer, EXCHANGE_GREF, status);
    long bad = first_difference(&theirs, OFFER);
    if (bad >= 0) return fail("offer from domain %u differs at byte %ld", o->peer, bad);
    fill(&mine, REPLY);
    long rc = gnttab_grant(EXCHANGE_GREF, o->peer, &mine, true);
    if (rc != 0) return fail("grant: %ld", rc);
    return 0;
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
    if ((o->share == SHARE_MAP ? reply_through_mapping(o) : reply_through_copies(o)) != 0) return -1;
    /* Binding may leave the new port pending (Xen does so, in case the unbound port missed a
     * notification). Drop that, so the next event can only be the server's acknowledgement. */
    events_discard(port);
    if ((rc = events_watch(port)) != 0) return fail("unmask port %u: %ld", port, rc);
    if ((rc = events_send(port)) != 0) return fail("notify port %u: %ld", port, rc);
    if (!wait_for(port, until)) return fail("no acknowledgement from domain %u", o->peer);
    return ok(o);
}

/* The network mode: a host with one IPv4 address on one Ethernet, no routing, no fragments.
 *
 *   ARP (RFC 826)        a request for our address gets a reply with our MAC; the ping peer's
 *                        address is learnt from its replies (and requests) to us
 *   ICMP echo (RFC 792)  a request to us gets a reply with its id, sequence and data
 *   UDP echo (RFC 862)   a datagram to our port 7 comes back, addresses and ports swapped
 *
 * Everything else is dropped and counted: frames for other MACs, other protocols, IPv4
 * fragments, bad lengths and checksums. Replies go to the frame's source MAC. Network byte
 * order is big-endian, so every field goes through get16/put16 and get32/put32.
 *
 * The flood (flood=) sends UDP datagrams to one address and port as fast as the tx ring takes
 * them: whenever one of its tx buffers comes back, the next datagram goes out in it.
 *
 * The loop takes the port's event, lets netfront hand over what arrived (answering it), does the
 * ping's and the flood's due work and sleeps until the port fires or the next deadline. */
#include <stdarg.h>
#include "../include/domus-abi.h"
#include "console.h"
#include "events.h"
#include "format.h"
#include "net.h"
#include "netfront.h"
#include "sched.h"
#include "timer.h"

#define NEVER UINT64_MAX

/* Ethernet II */
#define ETH_HLEN 14
#define ETH_DST 0
#define ETH_SRC 6
#define ETH_TYPE 12
#define ETH_MIN_FRAME 60 /* without FCS: shorter frames are padded with zeros */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806

/* ARP for IPv4 over Ethernet */
#define ARP_LEN 28
#define ARP_HTYPE 0
#define ARP_PTYPE 2
#define ARP_HLEN 4
#define ARP_PLEN 5
#define ARP_OP 6
#define ARP_SHA 8
#define ARP_SPA 14
#define ARP_THA 18
#define ARP_TPA 24
#define ARP_HTYPE_ETHERNET 1
#define ARP_REQUEST 1
#define ARP_REPLY 2

/* IPv4 */
#define IP_HLEN 20 /* without options: what we send */
#define IP_VHL 0
#define IP_TOTAL_LEN 2
#define IP_ID 4
#define IP_FRAG 6
#define IP_TTL 8
#define IP_PROTO 9
#define IP_CSUM 10
#define IP_SRC 12
#define IP_DST 16
#define IP_FRAG_MF_OFFSET 0x3fff /* more fragments, fragment offset */
#define IP_DEFAULT_TTL 64
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17

/* ICMP echo */
#define ICMP_HLEN 8
#define ICMP_TYPE 0
#define ICMP_CODE 1
#define ICMP_CSUM 2
#define ICMP_ID 4
#define ICMP_SEQ 6
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

/* UDP */
#define UDP_HLEN 8
#define UDP_SPORT 0
#define UDP_DPORT 2
#define UDP_LEN 4
#define UDP_CSUM 6
#define UDP_ECHO_PORT 7

/* The ping: our echo requests' id and data size (as ping(8)'s default), when a request is lost,
 * and how often ARP asks for the peer. Replies are matched in a window of sequence numbers,
 * wider than the requests one loss time can hold (interval >= 1 ms). */
#define PING_ID 0x6d6e
#define PING_DATA 56
#define PING_LOSS_MS 1000
#define ARP_RETRY_MS 200
#define PING_WINDOW 1024
_Static_assert(PING_LOSS_MS < PING_WINDOW, "a request is lost before its window slot is used again");

/* The flood: its datagrams' source port (the first dynamic one), the tx buffers it leaves to
 * netfront_send for everything else (the answers, ARP, the ping) and how often it reports. */
#define FLOOD_SPORT 49152
#define FLOOD_RESERVE 4
#define FLOOD_REPORT_MS 1000
#define FLOOD_SEQ_LEN 4
_Static_assert(FLOOD_RESERVE > 0 && FLOOD_RESERVE < NETFRONT_TX_BUFFERS, "the flood and the answers both have buffers");

static const uint8_t BROADCAST[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint8_t my_mac[ETH_ALEN];
static uint32_t my_ip;
static bool up;
static uint16_t next_ip_id = 1;
static uint8_t out[NETFRONT_MAX_FRAME]; /* the frame being built */

static struct {
    uint64_t arp, icmp, udp; /* answered */
    uint64_t dropped;
} counts;

/* Finding a peer's MAC: an ARP request every ARP_RETRY_MS until a reply or the timeout. */
struct arp_wait {
    uint64_t next, until; /* timer ticks */
    uint64_t timeout_ms;
};

static enum { PING_OFF, PING_ARP, PING_RUN, PING_DONE } ping_state;
static struct {
    uint32_t peer;
    uint8_t mac[ETH_ALEN];
    uint32_t count;
    uint64_t interval, loss;            /* timer ticks */
    struct arp_wait arp;                /* PING_ARP */
    uint64_t start;                     /* PING_RUN: seq n is sent at start + (n - 1) * interval */
    uint32_t sent, oldest, received;    /* seqs 1..sent sent; below oldest all answered or lost */
    struct {
        uint32_t seq;
        bool waiting;
        uint64_t sent_at;
    } slot[PING_WINDOW];
} ping;

static enum { FLOOD_OFF, FLOOD_ARP, FLOOD_RUN, FLOOD_DONE } flood_state;
static struct {
    uint32_t peer;
    uint16_t port;
    uint32_t size;                          /* UDP payload bytes */
    uint8_t mac[ETH_ALEN];
    struct arp_wait arp;                     /* FLOOD_ARP */
    uint64_t duration_ms;
    uint64_t start, end, next_report;        /* FLOOD_RUN; end is NEVER for a flood without end */
    uint64_t report_every, hz;               /* timer ticks */
    uint64_t sent;                           /* datagrams put on the tx ring */
    uint32_t udp_sum;                        /* the UDP checksum's sum, but for the sequence number */
    bool built[NETFRONT_TX_BUFFERS];         /* the buffer holds a datagram: only its numbers change */
} flood;

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16), put16(p + 2, v); }

static void copy(uint8_t *dst, const uint8_t *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
}

static bool equal(const uint8_t *a, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* The Internet checksum (RFC 1071): the ones' complement sum of 16-bit words, added to `sum`
 * (so a pseudo-header can go first); checksum() folds and complements it. Over data that holds
 * its own checksum, a correct one gives 0. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += get16(p + i);
    if (n % 2 != 0) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t checksum(uint32_t sum) {
    while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t udp_pseudo(uint32_t src, uint32_t dst, uint32_t len) {
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IP_PROTO_UDP + len;
}

static void format_ip(char *buf, size_t size, uint32_t ip) {
    format(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

static void format_mac(char *buf, size_t size, const uint8_t *m) {
    format(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void drop(void) { counts.dropped++; }

/* The Ethernet header of `out`; returns where its payload starts. */
static uint8_t *eth_header(const uint8_t *dst, uint16_t type) {
    copy(out + ETH_DST, dst, ETH_ALEN);
    copy(out + ETH_SRC, my_mac, ETH_ALEN);
    put16(out + ETH_TYPE, type);
    return out + ETH_HLEN;
}

/* An IPv4 header without options at `p`, for `len` bytes of payload; returns the payload. */
static uint8_t *ip_header(uint8_t *p, uint32_t dst, uint8_t proto, size_t len) {
    p[IP_VHL] = 0x45; /* version 4, 5 words */
    p[IP_VHL + 1] = 0;
    put16(p + IP_TOTAL_LEN, (uint32_t)(IP_HLEN + len));
    put16(p + IP_ID, next_ip_id++);
    put16(p + IP_FRAG, 0);
    p[IP_TTL] = IP_DEFAULT_TTL;
    p[IP_PROTO] = proto;
    put16(p + IP_CSUM, 0);
    put32(p + IP_SRC, my_ip);
    put32(p + IP_DST, dst);
    put16(p + IP_CSUM, checksum(sum16(p, IP_HLEN, 0)));
    return p + IP_HLEN;
}

/* Send the `len` bytes of `out`, padded to Ethernet's minimum. false: not sent (netfront counts
 * it: every tx buffer was in flight). */
static bool send_out(size_t len) {
    for (; len < ETH_MIN_FRAME; len++) out[len] = 0;
    return netfront_send(out, len) == 0;
}

static void send_arp(uint16_t op, const uint8_t *eth_dst, const uint8_t *tha, uint32_t tpa) {
    uint8_t *a = eth_header(eth_dst, ETHERTYPE_ARP);
    put16(a + ARP_HTYPE, ARP_HTYPE_ETHERNET);
    put16(a + ARP_PTYPE, ETHERTYPE_IPV4);
    a[ARP_HLEN] = ETH_ALEN;
    a[ARP_PLEN] = 4;
    put16(a + ARP_OP, op);
    copy(a + ARP_SHA, my_mac, ETH_ALEN);
    put32(a + ARP_SPA, my_ip);
    copy(a + ARP_THA, tha, ETH_ALEN);
    put32(a + ARP_TPA, tpa);
    send_out(ETH_HLEN + ARP_LEN);
}

/* The ping's peer answered our ARP request or asked for us: now we know its MAC. */
static void learn_peer(const uint8_t *mac) {
    copy(ping.mac, mac, ETH_ALEN);
    if (ping_state != PING_ARP) return;
    char ip[16], m[18];
    format_ip(ip, sizeof ip, ping.peer);
    format_mac(m, sizeof m, mac);
    printk("minios: ping %s is at %s\n", ip, m);
    ping_state = PING_RUN;
    ping.start = timer_now();
}

/* The flood's target answered our ARP request or asked for us: now we know its MAC (datagrams
 * built for an older one are built again), and the flood starts. */
static void flood_learn(const uint8_t *mac) {
    if (!equal(flood.mac, mac, ETH_ALEN)) {
        copy(flood.mac, mac, ETH_ALEN);
        for (unsigned i = 0; i < NETFRONT_TX_BUFFERS; i++) flood.built[i] = false;
    }
    if (flood_state != FLOOD_ARP) return;
    char ip[16], m[18];
    format_ip(ip, sizeof ip, flood.peer);
    format_mac(m, sizeof m, mac);
    printk("minios: flood %s is at %s\n", ip, m);
    flood_state = FLOOD_RUN;
    flood.start = timer_now();
    flood.end = flood.duration_ms == 0 ? NEVER : flood.start + timer_ms(flood.duration_ms);
    flood.next_report = flood.start + flood.report_every;
    flood.sent = 0;
    netfront_tx_own(FLOOD_RESERVE);
}

static void on_arp(const uint8_t *f, size_t len) {
    const uint8_t *a = f + ETH_HLEN;
    if (len < ETH_HLEN + ARP_LEN || get16(a + ARP_HTYPE) != ARP_HTYPE_ETHERNET || get16(a + ARP_PTYPE) != ETHERTYPE_IPV4 ||
        a[ARP_HLEN] != ETH_ALEN || a[ARP_PLEN] != 4) {
        drop();
        return;
    }
    uint16_t op = get16(a + ARP_OP);
    uint32_t spa = get32(a + ARP_SPA), tpa = get32(a + ARP_TPA);
    if (tpa != my_ip || (op != ARP_REQUEST && op != ARP_REPLY)) {
        drop();
        return;
    }
    if (ping_state != PING_OFF && spa == ping.peer) learn_peer(a + ARP_SHA);
    if (flood_state != FLOOD_OFF && spa == flood.peer) flood_learn(a + ARP_SHA);
    if (op == ARP_REQUEST) {
        send_arp(ARP_REPLY, a + ARP_SHA, a + ARP_SHA, spa); /* the frame stays put: `out` is built apart */
        counts.arp++;
    }
}

/* ping's data: byte i of request seq. */
static uint8_t ping_byte(uint32_t seq, size_t i) { return (uint8_t)(seq * 7 + i); }

static void send_ping(uint32_t seq) {
    uint8_t *ip = eth_header(ping.mac, ETHERTYPE_IPV4);
    uint8_t *m = ip_header(ip, ping.peer, IP_PROTO_ICMP, ICMP_HLEN + PING_DATA);
    m[ICMP_TYPE] = ICMP_ECHO_REQUEST;
    m[ICMP_CODE] = 0;
    put16(m + ICMP_CSUM, 0);
    put16(m + ICMP_ID, PING_ID);
    put16(m + ICMP_SEQ, seq);
    for (size_t i = 0; i < PING_DATA; i++) m[ICMP_HLEN + i] = ping_byte(seq, i);
    put16(m + ICMP_CSUM, checksum(sum16(m, ICMP_HLEN + PING_DATA, 0)));
    send_out(ETH_HLEN + IP_HLEN + ICMP_HLEN + PING_DATA); /* not sent: it is lost like any other */
}

/* An echo reply from the peer with our id: true if it answers a request still waiting. */
static bool ping_reply(uint16_t seq16, const uint8_t *data, size_t n) {
    if (ping_state != PING_RUN || n != PING_DATA) return false;
    /* The 16-bit sequence number of the request in the window it can answer. */
    uint32_t seq = ping.oldest + (uint16_t)(seq16 - (uint16_t)ping.oldest);
    if (seq > ping.sent) return false;
    if (!ping.slot[seq % PING_WINDOW].waiting || ping.slot[seq % PING_WINDOW].seq != seq) return false;
    for (size_t i = 0; i < PING_DATA; i++)
        if (data[i] != ping_byte(seq, i)) return false;
    ping.slot[seq % PING_WINDOW].waiting = false;
    ping.received++;
    char ip[16];
    format_ip(ip, sizeof ip, ping.peer);
    printk("minios: ping %s seq %u ok\n", ip, seq);
    return true;
}

static void on_icmp(const uint8_t *f, uint32_t src, const uint8_t *m, size_t n) {
    if (n < ICMP_HLEN || checksum(sum16(m, n, 0)) != 0 || m[ICMP_CODE] != 0) {
        drop();
        return;
    }
    if (m[ICMP_TYPE] == ICMP_ECHO_REQUEST && ETH_HLEN + IP_HLEN + n <= sizeof out) {
        uint8_t *r = ip_header(eth_header(f + ETH_SRC, ETHERTYPE_IPV4), src, IP_PROTO_ICMP, n);
        copy(r, m, n);
        r[ICMP_TYPE] = ICMP_ECHO_REPLY;
        put16(r + ICMP_CSUM, 0);
        put16(r + ICMP_CSUM, checksum(sum16(r, n, 0)));
        send_out(ETH_HLEN + IP_HLEN + n);
        counts.icmp++;
        return;
    }
    if (m[ICMP_TYPE] == ICMP_ECHO_REPLY && ping_state != PING_OFF && src == ping.peer && get16(m + ICMP_ID) == PING_ID &&
        ping_reply(get16(m + ICMP_SEQ), m + ICMP_HLEN, n - ICMP_HLEN))
        return;
    drop();
}

static void on_udp(const uint8_t *f, uint32_t src, const uint8_t *u, size_t n) {
    uint16_t len = n < UDP_HLEN ? 0 : get16(u + UDP_LEN);
    if (len < UDP_HLEN || len > n || get16(u + UDP_DPORT) != UDP_ECHO_PORT || ETH_HLEN + IP_HLEN + len > sizeof out) {
        drop();
        return;
    }
    /* 0: the sender computed no checksum (allowed over IPv4). */
    if (get16(u + UDP_CSUM) != 0 && checksum(sum16(u, len, udp_pseudo(src, my_ip, len))) != 0) {
        drop();
        return;
    }
    uint8_t *r = ip_header(eth_header(f + ETH_SRC, ETHERTYPE_IPV4), src, IP_PROTO_UDP, len);
    copy(r, u, len);
    put16(r + UDP_SPORT, get16(u + UDP_DPORT));
    put16(r + UDP_DPORT, get16(u + UDP_SPORT));
    put16(r + UDP_CSUM, 0);
    uint16_t sum = checksum(sum16(r, len, udp_pseudo(my_ip, src, len)));
    put16(r + UDP_CSUM, sum == 0 ? 0xffff : sum); /* a computed 0 is sent as all ones */
    send_out(ETH_HLEN + IP_HLEN + len);
    counts.udp++;
}

static void on_ipv4(const uint8_t *f, size_t len) {
    const uint8_t *ip = f + ETH_HLEN;
    size_t avail = len - ETH_HLEN;
    if (avail < IP_HLEN || ip[IP_VHL] >> 4 != 4) {
        drop();
        return;
    }
    size_t hlen = (size_t)(ip[IP_VHL] & 0xf) * 4, total = get16(ip + IP_TOTAL_LEN);
    /* Beyond total: Ethernet's padding. */
    if (hlen < IP_HLEN || total < hlen || total > avail || checksum(sum16(ip, hlen, 0)) != 0 ||
        (get16(ip + IP_FRAG) & IP_FRAG_MF_OFFSET) != 0 || get32(ip + IP_DST) != my_ip) {
        drop();
        return;
    }
    uint32_t src = get32(ip + IP_SRC);
    switch (ip[IP_PROTO]) {
    case IP_PROTO_ICMP: on_icmp(f, src, ip + hlen, total - hlen); break;
    case IP_PROTO_UDP: on_udp(f, src, ip + hlen, total - hlen); break;
    default: drop();
    }
}

/* Every frame netfront received. */
static void on_frame(const uint8_t *f, size_t len) {
    if (len < ETH_HLEN || (!equal(f + ETH_DST, my_mac, ETH_ALEN) && !equal(f + ETH_DST, BROADCAST, ETH_ALEN))) {
        drop();
        return;
    }
    switch (get16(f + ETH_TYPE)) {
    case ETHERTYPE_ARP: on_arp(f, len); break;
    case ETHERTYPE_IPV4: on_ipv4(f, len); break;
    default: drop();
    }
}

static void ping_done(void) {
    printk("minios: ping done %u/%u\n", ping.received, ping.count);
    ping_state = PING_DONE;
}

static void arp_wait_start(struct arp_wait *w, uint64_t timeout_ms) {
    w->timeout_ms = timeout_ms;
    w->next = timer_now();
    w->until = w->next + timer_ms(timeout_ms);
}

/* Sends the next ARP request for `peer` when due; returns the next deadline, or NEVER when the
 * timeout passed with no reply (saying so for `what`, the mode waiting: "ping", "flood"). */
static uint64_t arp_wait_step(struct arp_wait *w, uint64_t now, uint32_t peer, const char *what) {
    if (now >= w->until) {
        char ip[16];
        format_ip(ip, sizeof ip, peer);
        printk("minios: %s %s unreachable: no ARP reply in %lu ms\n", what, ip, (unsigned long)w->timeout_ms);
        return NEVER;
    }
    if (now >= w->next) {
        send_arp(ARP_REQUEST, BROADCAST, (const uint8_t[ETH_ALEN]){0}, peer);
        w->next = now + timer_ms(ARP_RETRY_MS);
    }
    return w->next < w->until ? w->next : w->until;
}

/* The ping's work due at `now`; returns its next deadline. */
static uint64_t ping_step(uint64_t now) {
    if (ping_state == PING_OFF || ping_state == PING_DONE) return NEVER;
    char ip[16];
    format_ip(ip, sizeof ip, ping.peer);
    if (ping_state == PING_ARP) {
        uint64_t next = arp_wait_step(&ping.arp, now, ping.peer, "ping");
        if (next == NEVER) ping_done();
        return next;
    }
    if (ping_state != PING_RUN) return NEVER;
    /* Losses first: a window slot is free again before a later request takes it. */
    for (; ping.oldest <= ping.sent; ping.oldest++) {
        uint32_t seq = ping.oldest;
        if (!ping.slot[seq % PING_WINDOW].waiting) continue;
        if (now < ping.slot[seq % PING_WINDOW].sent_at + ping.loss) break;
        ping.slot[seq % PING_WINDOW].waiting = false;
        printk("minios: ping %s seq %u lost\n", ip, seq);
    }
    while (ping.sent < ping.count && now >= ping.start + ping.sent * ping.interval) {
        uint32_t seq = ++ping.sent;
        ping.slot[seq % PING_WINDOW].seq = seq;
        ping.slot[seq % PING_WINDOW].waiting = true;
        ping.slot[seq % PING_WINDOW].sent_at = now;
        send_ping(seq);
    }
    if (ping.oldest > ping.count) {
        ping_done();
        return NEVER;
    }
    uint64_t next = NEVER;
    if (ping.sent < ping.count) next = ping.start + ping.sent * ping.interval;
    if (ping.oldest <= ping.sent) {
        uint64_t lost = ping.slot[ping.oldest % PING_WINDOW].sent_at + ping.loss;
        if (lost < next) next = lost;
    }
    return next;
}

static void ping_start(const struct options *o) {
    ping.peer = o->ping;
    ping.count = o->count;
    ping.interval = timer_ms(o->interval_ms);
    ping.loss = timer_ms(PING_LOSS_MS);
    arp_wait_start(&ping.arp, o->timeout_ms);
    ping.sent = ping.received = 0;
    ping.oldest = 1;
    ping_state = PING_ARP;
}

/* The flood's datagram in tx buffer `f`, all but the IPv4 header (its id and checksum change),
 * the sequence number and the UDP checksum. Payload byte i (from 4 on) is i & 0xff. */
static void flood_build(uint8_t *f) {
    copy(f + ETH_DST, flood.mac, ETH_ALEN);
    copy(f + ETH_SRC, my_mac, ETH_ALEN);
    put16(f + ETH_TYPE, ETHERTYPE_IPV4);
    uint8_t *u = f + ETH_HLEN + IP_HLEN; /* the IPv4 header is written for every datagram */
    put16(u + UDP_SPORT, FLOOD_SPORT);
    put16(u + UDP_DPORT, flood.port);
    put16(u + UDP_LEN, UDP_HLEN + flood.size);
    put16(u + UDP_CSUM, 0);
    put32(u + UDP_HLEN, 0);
    for (uint32_t i = FLOOD_SEQ_LEN; i < flood.size; i++) u[UDP_HLEN + i] = (uint8_t)i;
}

/* Fill every free flood buffer with the next datagram, then publish them all at once. */
static void flood_fill(void) {
    size_t len = ETH_HLEN + IP_HLEN + UDP_HLEN + flood.size;
    bool queued = false;
    for (unsigned id = FLOOD_RESERVE; id < NETFRONT_TX_BUFFERS; id++) {
        uint8_t *f = netfront_tx_buffer(id);
        if (f == NULL) continue;
        if (!flood.built[id]) flood_build(f), flood.built[id] = true;
        uint8_t *u = ip_header(f + ETH_HLEN, flood.peer, IP_PROTO_UDP, UDP_HLEN + flood.size);
        uint32_t seq = (uint32_t)flood.sent;
        put32(u + UDP_HLEN, seq);
        uint16_t sum = checksum(flood.udp_sum + (seq >> 16) + (seq & 0xffff));
        put16(u + UDP_CSUM, sum == 0 ? 0xffff : sum);
        if (netfront_tx_queue(id, len) < 0) break;
        flood.sent++;
        queued = true;
    }
    if (queued) netfront_tx_push();
}

/* The flood ends (its duration passed, the domain shuts down, the interface went away, or its
 * target never answered ARP): the totals, and the buffers go back to netfront_send. */
static void flood_done(uint64_t now) {
    uint64_t ms = flood_state == FLOOD_RUN ? (now - flood.start) * 1000 / flood.hz : 0;
    uint64_t sent = flood_state == FLOOD_RUN ? flood.sent : 0;
    printk("minios: flood done %lu datagrams %lu bytes in %lu ms\n", (unsigned long)sent, (unsigned long)(sent * flood.size),
           (unsigned long)ms);
    flood_state = FLOOD_DONE;
    netfront_tx_own(NETFRONT_TX_BUFFERS);
}

/* The flood's work due at `now`; returns its next deadline. */
static uint64_t flood_step(uint64_t now) {
    if (flood_state == FLOOD_ARP) {
        uint64_t next = arp_wait_step(&flood.arp, now, flood.peer, "flood");
        if (next == NEVER) flood_done(now);
        return next;
    }
    if (flood_state != FLOOD_RUN) return NEVER;
    if (now >= flood.end) {
        flood_done(now);
        return NEVER;
    }
    if (now >= flood.next_report) {
        printk("minios: flood %lu datagrams %lu bytes\n", (unsigned long)flood.sent, (unsigned long)(flood.sent * flood.size));
        /* The next one on the schedule; any missed while minios was held up are skipped. */
        flood.next_report = flood.start + ((now - flood.start) / flood.report_every + 1) * flood.report_every;
    }
    flood_fill();
    return flood.next_report < flood.end ? flood.next_report : flood.end;
}

static void flood_start(const struct options *o) {
    flood.peer = o->flood;
    flood.port = o->flood_port;
    flood.size = o->size;
    flood.duration_ms = o->duration_ms;
    flood.hz = timer_ms(1000);
    flood.report_every = timer_ms(FLOOD_REPORT_MS);
    arp_wait_start(&flood.arp, o->timeout_ms);
    /* The pseudo-header, the UDP header (checksum 0) and the payload after the sequence number:
     * they stay the same for every datagram. */
    uint32_t len = UDP_HLEN + flood.size;
    uint8_t h[UDP_HLEN];
    put16(h + UDP_SPORT, FLOOD_SPORT);
    put16(h + UDP_DPORT, flood.port);
    put16(h + UDP_LEN, len);
    put16(h + UDP_CSUM, 0);
    uint32_t sum = sum16(h, UDP_HLEN, udp_pseudo(my_ip, flood.peer, len));
    for (uint32_t i = FLOOD_SEQ_LEN; i < flood.size; i += 2)
        sum += (uint32_t)(uint8_t)i << 8 | (i + 1 < flood.size ? (uint8_t)(i + 1) : 0);
    flood.udp_sum = sum;
    flood_state = FLOOD_ARP;
}

static void fail(const char *fmt, ...) {
    char why[224];
    va_list ap;
    va_start(ap, fmt);
    vformat(why, sizeof why, fmt, ap);
    va_end(ap);
    printk("minios: net FAILED: %s\n", why);
}

void net_report(void) {
    if (!up) return;
    if (flood_state == FLOOD_ARP || flood_state == FLOOD_RUN) flood_done(timer_now());
    const struct netfront_stats *s = netfront_stats();
    printk("minios: net stats: received %lu, answered %lu (arp %lu, icmp %lu, udp %lu), dropped %lu, sent %lu, "
           "not sent %lu, errors rx %lu tx %lu, bad responses %lu\n",
           (unsigned long)s->rx, (unsigned long)(counts.arp + counts.icmp + counts.udp), (unsigned long)counts.arp,
           (unsigned long)counts.icmp, (unsigned long)counts.udp, (unsigned long)counts.dropped, (unsigned long)s->tx,
           (unsigned long)s->tx_full, (unsigned long)s->rx_errors, (unsigned long)s->tx_errors, (unsigned long)s->bad);
}

void net_run(const struct boot_info *b, const struct options *o) {
    if (b->store_ring == NULL || b->store_port == 0) {
        fail("no xenstore ring in start_info");
        return;
    }
    struct netfront_info info;
    if (netfront_connect(o->timeout_ms, &info) < 0) {
        fail("%s", netfront_error());
        return;
    }
    copy(my_mac, info.mac, ETH_ALEN);
    my_ip = o->ip;
    up = true;
    char ip[16], mac[18];
    format_ip(ip, sizeof ip, my_ip);
    format_mac(mac, sizeof mac, my_mac);
    printk("minios: net up %s mac %s\n", ip, mac);
    if (o->ping != 0) ping_start(o);
    if (o->flood != 0) flood_start(o);

    for (;;) {
        events_take(info.port); /* before looking: an event after the look ends the sleep */
        bool bad = netfront_stats()->bad > 0;
        if (netfront_poll(on_frame) < 0) break;
        if (!bad && netfront_stats()->bad > 0) printk("minios: net: the backend broke the protocol: %s\n", netfront_error());
        uint64_t now = timer_now(), next = ping_step(now), f = flood_step(now);
        /* With the flood's buffers all in flight this sleeps until the port fires: their
         * responses (or a frame, or a deadline) wake it, never a spin. */
        timer_arm(f < next ? f : next);
        sched_wait();
    }
    /* The interface is gone: nothing to serve, but shutdown requests still come (the wake hook). */
    printk("minios: net down: %s\n", netfront_error());
    if (flood_state == FLOOD_ARP || flood_state == FLOOD_RUN) flood_done(timer_now());
    timer_arm(NEVER);
    for (;;) {
        events_take(info.port);
        sched_wait();
    }
}

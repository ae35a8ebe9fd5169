/* The disk mode. Sector 0 holds a header; sectors 1..N the data area, whose every byte is a
 * function of the generation that wrote it, its sector and its place in the sector:
 *
 *   header: "DOMUSDSK" | u32 generation | u32 N | u32 crc32(data area) | u32 crc32(bytes 0..19)
 *
 * A round writes generation g+1's data area, flushes, writes the header, flushes, and reads it
 * all back. The data area is written in place, so a round cut short (xm destroy, a crash) leaves
 * generation g's header over partly g+1's data, which the next boot reports as FAILED; a shutdown
 * request (xm shutdown / reboot) that comes while a generation is being written waits until it
 * is whole.
 *
 * Data sector s lives in the buffer at byte s * 512, so a request starts in the middle of a
 * page whenever its first sector is not a multiple of 8: requests of varied lengths (up to 11
 * pages) exercise first_sect/last_sect other than 0/7. Each buffer page has its own grant
 * reference, granted read-only to the backend for writes and writable for reads. */
#include "../include/domus-abi.h"
#include "arch.h"
#include "blkfront.h"
#include "console.h"
#include "disk.h"
#include "gnttab.h"
#include "netfront.h"

#define MAGIC "DOMUSDSK"
#define MAGIC_LEN 8
#define H_GENERATION 8
#define H_NSECTORS 12
#define H_DATA_CRC 16
#define H_CRC 20
#define H_CRC_LEN 20 /* the header's checksum covers the bytes before it */

#define MAX_DATA_SECTORS 2048
#define SECTORS_PER_PAGE (PAGE_SIZE / BLKIF_SECTOR_SIZE)
/* Sector s at byte s * 512: sector 0's place (the header has its own page) stays unused. */
#define DATA_PAGES (MAX_DATA_SECTORS / SECTORS_PER_PAGE + 1)

#define GREF_HEADER BLKFRONT_GREF_DATA
#define GREF_DATA(page) (GREF_HEADER + 1 + (page))
_Static_assert(GREF_DATA(DATA_PAGES) <= GRANT_TABLE_FRAMES * PAGE_SIZE / GRANT_ENTRY_V1_SIZE, "grant references fit the table");
_Static_assert(GREF_DATA(DATA_PAGES) <= NETFRONT_GREF_TX_RING, "below netfront's grant references");

static uint8_t header[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t data[DATA_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* Request lengths in sectors, used in turn (each cut to 11 pages and to what is left). */
static const uint32_t LENGTHS[] = {88, 3, 61, 8, 17, 1, 80, 44, 7, 29, 88, 5};
#define NLENGTHS (sizeof LENGTHS / sizeof LENGTHS[0])

static uint32_t backend_id;

/* A generation is being written: a shutdown request waits until it is whole. */
static bool writing;
static int deferred = -1;

bool disk_defer_shutdown(int reason) {
    if (!writing) return false;
    deferred = reason;
    return true;
}

#define fail(...) fail_report("disk", __VA_ARGS__)

/* What generation g writes at byte i of data sector s (see README.md: the host can check). */
static uint8_t pattern(uint32_t g, uint32_t s, uint32_t i) {
    uint32_t x = g * 0x9e3779b1u ^ s * 0x85ebca6bu ^ i * 0xc2b2ae35u;
    x ^= x >> 15;
    x *= 0x2c1b3c6du;
    x ^= x >> 12;
    return (uint8_t)(x ^ (x >> 8));
}

/* CRC-32 as zlib computes it (reflected, polynomial 0xedb88320). */
static uint32_t crc_table[256];

static uint32_t crc32(const uint8_t *p, size_t n) {
    if (crc_table[1] == 0) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    }
    uint32_t c = 0xffffffffu;
    while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t get32(const uint8_t *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }

static void put32(uint8_t *b, uint32_t v) {
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *sector_at(uint32_t s) { return &data[0][0] + (size_t)s * BLKIF_SECTOR_SIZE; }

/* Grant the pages holding sectors [first, first + n): read-only if the backend only reads them. */
static int grant_data(uint32_t first, uint32_t n, bool readonly) {
    for (uint32_t p = first / SECTORS_PER_PAGE; p <= (first + n - 1) / SECTORS_PER_PAGE; p++) {
        long rc = gnttab_grant(GREF_DATA(p), backend_id, data[p], readonly);
        if (rc != 0) return fail("grant page %u: %ld", p, rc);
    }
    return 0;
}

/* Transfer sectors [first, first + n) between the disk and the buffer, in requests of the
 * LENGTHS lengths, all on the ring at once (as far as it holds them). */
static int transfer(uint8_t op, uint32_t first, uint32_t n) {
    if (grant_data(first, n, op == BLKIF_OP_WRITE) < 0) return -1;
    unsigned k = 0;
    for (uint32_t s = first, end = first + n; s < end; k++) {
        uint32_t len = LENGTHS[k % NLENGTHS];
        uint32_t room = BLKIF_MAX_SEGMENTS_PER_REQUEST * SECTORS_PER_PAGE - s % SECTORS_PER_PAGE;
        if (len > room) len = room;
        if (len > end - s) len = end - s;
        struct blkfront_seg seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
        unsigned nseg = 0;
        for (uint32_t t = s; t < s + len; nseg++) {
            uint32_t in_page = t % SECTORS_PER_PAGE;
            uint32_t take = SECTORS_PER_PAGE - in_page;
            if (take > s + len - t) take = s + len - t;
            seg[nseg] = (struct blkfront_seg){GREF_DATA(t / SECTORS_PER_PAGE), (uint8_t)in_page, (uint8_t)(in_page + take - 1)};
            t += take;
        }
        if (blkfront_queue(op, s, seg, nseg) < 0) return fail("%s", blkfront_error());
        s += len;
    }
    if (blkfront_finish() < 0) return fail("%s", blkfront_error());
    return 0;
}

static int header_io(uint8_t op) {
    long rc = gnttab_grant(GREF_HEADER, backend_id, header, op == BLKIF_OP_WRITE);
    if (rc != 0) return fail("grant the header page: %ld", rc);
    struct blkfront_seg seg = {GREF_HEADER, 0, 0};
    if (blkfront_queue(op, 0, &seg, 1) < 0 || blkfront_finish() < 0) return fail("%s", blkfront_error());
    return 0;
}

static int flush(bool supported) {
    if (!supported) return 0;
    if (blkfront_queue(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0) < 0 || blkfront_finish() < 0) return fail("%s", blkfront_error());
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0) return false;
    return true;
}

/* The header in `header`: 1 valid (generation and size out), 0 absent (all zero), -1 bad. */
static int parse_header(uint32_t max_sectors, uint32_t *generation, uint32_t *nsectors, uint32_t *data_crc) {
    if (all_zero(header, BLKIF_SECTOR_SIZE)) return 0;
    for (int i = 0; i < MAGIC_LEN; i++)
        if (header[i] != (uint8_t)MAGIC[i]) return fail("sector 0 is not a " MAGIC " header");
    uint32_t want = crc32(header, H_CRC_LEN), have = get32(header + H_CRC);
    if (have != want) return fail("the header's checksum is %08x, its bytes give %08x", have, want);
    *generation = get32(header + H_GENERATION);
    *nsectors = get32(header + H_NSECTORS);
    *data_crc = get32(header + H_DATA_CRC);
    if (*nsectors == 0 || *nsectors > max_sectors)
        return fail("the header says %u data sectors; this disk has room for 1..%u", *nsectors, max_sectors);
    return 1;
}

/* Read sectors 1..n into a poisoned buffer and check them against generation g. */
static int read_and_verify(uint32_t g, uint32_t n, uint32_t want_crc) {
    for (uint32_t i = 0; i < n * BLKIF_SECTOR_SIZE; i++) sector_at(1)[i] = 0xa5;
    if (transfer(BLKIF_OP_READ, 1, n) < 0) return -1;
    for (uint32_t s = 1; s <= n; s++) {
        const uint8_t *p = sector_at(s);
        for (uint32_t i = 0; i < BLKIF_SECTOR_SIZE; i++)
            if (p[i] != pattern(g, s, i))
                return fail("sector %u byte %u is %02x; generation %u wrote %02x", s, i, p[i], g, pattern(g, s, i));
    }
    uint32_t crc = crc32(sector_at(1), (size_t)n * BLKIF_SECTOR_SIZE);
    if (crc != want_crc) return fail("the data area's checksum is %08x; the header says %08x", crc, want_crc);
    return 0;
}

/* Write generation g over sectors 1..n, then its header, flushing after each. */
static int write_generation(uint32_t g, uint32_t n, bool flushes, uint32_t *crc) {
    for (uint32_t s = 1; s <= n; s++)
        for (uint32_t i = 0; i < BLKIF_SECTOR_SIZE; i++) sector_at(s)[i] = pattern(g, s, i);
    *crc = crc32(sector_at(1), (size_t)n * BLKIF_SECTOR_SIZE);
    if (transfer(BLKIF_OP_WRITE, 1, n) < 0 || flush(flushes) < 0) return -1;
    for (uint32_t i = 0; i < PAGE_SIZE; i++) header[i] = 0;
    for (int i = 0; i < MAGIC_LEN; i++) header[i] = (uint8_t)MAGIC[i];
    put32(header + H_GENERATION, g);
    put32(header + H_NSECTORS, n);
    put32(header + H_DATA_CRC, *crc);
    put32(header + H_CRC, crc32(header, H_CRC_LEN));
    if (header_io(BLKIF_OP_WRITE) < 0 || flush(flushes) < 0) return -1;
    return 0;
}

int disk_run(const struct boot_info *b, const struct options *o) {
    if (b->store_ring == NULL || b->store_port == 0) return fail("no xenstore ring in start_info");
    struct blkfront_info info;
    if (blkfront_connect(o->timeout_ms, &info) < 0) return fail("%s", blkfront_error());
    backend_id = info.backend_id;
    printk("minios: disk connected (device %u, %lu sectors%s%s)\n", info.devid, (unsigned long)info.sectors,
           info.readonly ? ", read-only" : "", info.flush ? ", flush" : "");
    if (info.sectors < 2) return fail("the disk has %lu sectors; it needs 2 at least", (unsigned long)info.sectors);
    uint32_t max = info.sectors - 1 < MAX_DATA_SECTORS ? (uint32_t)(info.sectors - 1) : MAX_DATA_SECTORS;

    /* What an earlier boot left. */
    uint32_t g = 0, n, crc;
    if (header_io(BLKIF_OP_READ) < 0) return -1;
    int found = parse_header(max, &g, &n, &crc);
    if (found < 0) return -1;
    if (found == 0) {
        printk("minios: disk empty\n");
    } else {
        if (read_and_verify(g, n, crc) < 0) return -1;
        printk("minios: disk generation %u verified (%u sectors)\n", g, n);
    }

    if (o->rounds > 0 && info.readonly) return fail("the disk is read-only");
    for (uint32_t r = 1; r <= o->rounds; r++) {
        uint32_t next = g + 1;
        writing = true;
        int rc = write_generation(next, max, info.flush, &crc);
        writing = false;
        if (rc < 0) return -1;
        if (deferred >= 0) {
            printk("minios: disk generation %u written; shutting down as requested\n", next);
            return deferred;
        }
        /* Read back both: the header as the next boot will, then the data. */
        for (uint32_t i = 0; i < PAGE_SIZE; i++) header[i] = 0x5a;
        if (header_io(BLKIF_OP_READ) < 0) return -1;
        uint32_t hg, hn, hcrc;
        int back = parse_header(max, &hg, &hn, &hcrc);
        if (back < 0) return -1;
        if (back == 0) return fail("the header read back is all zero");
        if (hg != next || hn != max || hcrc != crc)
            return fail("the header read back says generation %u, %u sectors, crc %08x; written: %u, %u, %08x", hg, hn, hcrc, next, max, crc);
        if (read_and_verify(next, max, crc) < 0) return -1;
        printk("minios: disk round %u ok (generation %u)\n", r, next);
        g = next;
    }
    printk("minios: disk done\n");
    return o->then == THEN_REBOOT ? SHUTDOWN_reboot : SHUTDOWN_poweroff;
}

/*
 * inputprobe: a virtio-input driver test for the QEMU virt board (M-mode, hart 0).
 *
 * Finds the virtio-mmio transports in the device tree, drives every modern (version 2)
 * transport whose DeviceID is 18 (virtio-input, virtio 1.x section 5.8), prints what its
 * config space says, then echoes every event it receives. A caps-lock press toggles the
 * caps-lock LED through the device's status queue. Output lines are parsed by tests;
 * README.md has the exact format.
 */
#include <stdint.h>
#include <stddef.h>

#include "console.h" /* guests/baremetal: UART output, finisher exit, trap report */
#include "runtime.h"

const char guest_name[] = "inputprobe";

/* The virt board's virtio-mmio window: slot n is at VIRTIO_BASE + n * VIRTIO_STRIDE. */
#define VIRTIO_BASE   0x10001000UL
#define VIRTIO_STRIDE 0x1000UL
#define MAX_DEVS      8

/* virtio-mmio registers (virtio 1.x, 4.2.2). */
#define MMIO_MAGIC          0x000
#define MMIO_VERSION        0x004
#define MMIO_DEVICE_ID      0x008
#define MMIO_DEV_FEATURES   0x010
#define MMIO_DEV_FEAT_SEL   0x014
#define MMIO_DRV_FEATURES   0x020
#define MMIO_DRV_FEAT_SEL   0x024
#define MMIO_QUEUE_SEL      0x030
#define MMIO_QUEUE_NUM_MAX  0x034
#define MMIO_QUEUE_NUM      0x038
#define MMIO_QUEUE_READY    0x044
#define MMIO_QUEUE_NOTIFY   0x050
#define MMIO_INT_STATUS     0x060
#define MMIO_INT_ACK        0x064
#define MMIO_STATUS         0x070
#define MMIO_QUEUE_DESC     0x080
#define MMIO_QUEUE_DRIVER   0x090
#define MMIO_QUEUE_DEVICE   0x0a0
#define MMIO_CONFIG_GEN     0x0fc
#define MMIO_CONFIG         0x100

#define VIRTIO_MAGIC        0x74726976u /* "virt" */
#define VIRTIO_ID_INPUT     18
#define STATUS_ACKNOWLEDGE  1
#define STATUS_DRIVER       2
#define STATUS_DRIVER_OK    4
#define STATUS_FEATURES_OK  8
#define STATUS_FAILED       128
#define F_VERSION_1_HI      1u /* feature bit 32 = bit 0 of the high word */
#define VIRTQ_DESC_F_WRITE  2

/* virtio_input_config (5.8.4): select, subsel, size, reserved[5], then the union. */
#define CFG_SELECT 0
#define CFG_SUBSEL 1
#define CFG_SIZE   2
#define CFG_U      8
#define CFG_ID_NAME   0x01
#define CFG_EV_BITS   0x11
#define CFG_ABS_INFO  0x12

#define EV_SYN 0x00
#define EV_KEY 0x01
#define EV_REL 0x02
#define EV_ABS 0x03
#define EV_LED 0x11
#define KEY_CAPSLOCK 58
#define LED_CAPSL 1  /* linux/input-event-codes.h: NUML 0, CAPSL 1, SCROLLL 2 */

/* Ring sizes we ask for (fewer if QueueNumMax is smaller). */
#define EVQ_N 16
#define STQ_N 4

/* ------------------------------------------------------------ device tree */

/* Just enough of the Devicetree Specification (chapter 5) to list the `reg` base of every
 * node compatible with "virtio,mmio". (guests/minios/fdt.c only looks nodes up by path.)
 * Offsets are checked against the header's sizes so a bad tree ends the walk, not the probe. */

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_MAX_DEPTH 16

static uint32_t be32(const uint8_t *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int str_eq(const char *a, const char *b) {
    while (*a != '\0' && *a == *b) a++, b++;
    return *a == *b;
}

/* Is `want` one of the NUL-separated strings in a stringlist property? */
static int list_has(const char *list, uint32_t len, const char *want) {
    uint32_t i = 0;
    while (i < len) {
        if (str_eq(list + i, want)) return 1;
        while (i < len && list[i] != '\0') i++;
        i++;
    }
    return 0;
}

static int fdt_virtio_bases(const uint8_t *fdt, uint64_t *bases, int max) {
    if (fdt == NULL || be32(fdt) != FDT_MAGIC) return 0;
    uint32_t total = be32(fdt + 4), off_struct = be32(fdt + 8), off_strings = be32(fdt + 12);
    uint32_t size_strings = be32(fdt + 32), size_struct = be32(fdt + 36);
    if (off_struct > total || size_struct > total - off_struct || off_strings > total ||
        size_strings > total - off_strings)
        return 0;
    const uint8_t *p = fdt + off_struct, *end = p + size_struct;
    const char *strings = (const char *)fdt + off_strings;

    /* acells[d] = #address-cells that node depth d declares for its children (default 2). */
    uint32_t acells[FDT_MAX_DEPTH + 1];
    int depth = -1, n = 0, compatible = 0;
    uint64_t reg = 0;
    int has_reg = 0;
    while (p + 4 <= end) {
        uint32_t token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            while (p < end && *p != '\0') p++;
            p = fdt + ((p + 1 - fdt + 3) & ~3L);
            if (++depth > FDT_MAX_DEPTH) return n;
            acells[depth] = 2;
            compatible = has_reg = 0;
        } else if (token == FDT_END_NODE) {
            /* Properties come before subnodes, so a leaf's verdict is complete here. */
            if (compatible && has_reg && n < max) bases[n++] = reg;
            compatible = has_reg = 0;
            if (--depth < -1) return n;
        } else if (token == FDT_PROP) {
            if (p + 8 > end || depth < 0) return n;
            uint32_t len = be32(p), nameoff = be32(p + 4);
            p += 8;
            if (len > (uint32_t)(end - p) || nameoff >= size_strings) return n;
            const char *name = strings + nameoff;
            if (str_eq(name, "#address-cells") && len == 4) acells[depth] = be32(p);
            else if (str_eq(name, "compatible")) compatible = list_has((const char *)p, len, "virtio,mmio");
            else if (str_eq(name, "reg") && depth > 0) {
                uint32_t ac = acells[depth - 1];
                if ((ac == 1 || ac == 2) && len >= 4 * ac) {
                    reg = ac == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : be32(p);
                    has_reg = 1;
                }
            }
            p += (len + 3) & ~3u;
        } else if (token != FDT_NOP) {
            break; /* FDT_END or garbage */
        }
    }
    return n;
}

/* --------------------------------------------------------- virtio-mmio */

static uint32_t rd32(uint64_t base, uint32_t off) { return *(volatile uint32_t *)(base + off); }
static void wr32(uint64_t base, uint32_t off, uint32_t v) { *(volatile uint32_t *)(base + off) = v; }
static uint8_t cfg8(uint64_t base, uint32_t off) { return *(volatile uint8_t *)(base + MMIO_CONFIG + off); }

/* The spec's ordering points (2.7.13): ring entries before the index the device reads, the
 * index before the notify (an MMIO write), and the used index before the entries it covers. */
#define wmb() __asm__ volatile("fence w, w" ::: "memory")
#define mb()  __asm__ volatile("fence iorw, iorw" ::: "memory")
#define rmb() __asm__ volatile("fence r, r" ::: "memory")

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

/* One split virtqueue (2.7): the descriptor table 16-aligned, the used ring 4-aligned. The
 * ring arrays are sized for EVQ_N; a queue may use fewer entries (num). */
struct vq {
    volatile struct virtq_desc desc[EVQ_N] __attribute__((aligned(16)));
    volatile struct { uint16_t flags, idx, ring[EVQ_N], used_event; } avail;
    volatile struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[EVQ_N]; uint16_t avail_event; }
        used __attribute__((aligned(4)));
    uint16_t num, last_used;
};

struct input_event {
    uint16_t type, code;
    uint32_t value;
};

struct dev {
    uint64_t base;
    unsigned slot;
    struct vq evq, stq;
    volatile struct input_event evbuf[EVQ_N], stbuf[STQ_N];
    uint8_t st_busy[STQ_N]; /* statusq descriptor is with the device */
    uint32_t caps;
};

static struct dev devs[MAX_DEVS];
static int ndevs;

/* Set up queue q with n (at most `want`) descriptors over bufs; eventq buffers are
 * device-writable and all posted at once, statusq buffers are posted one by one later. */
static int queue_init(struct dev *d, unsigned q, struct vq *vq, volatile struct input_event *bufs,
                      unsigned want, int writable) {
    wr32(d->base, MMIO_QUEUE_SEL, q);
    if (rd32(d->base, MMIO_QUEUE_READY) != 0) return 0;
    uint32_t max = rd32(d->base, MMIO_QUEUE_NUM_MAX);
    if (max == 0) return 0;
    vq->num = (uint16_t)(max < want ? max : want);
    vq->last_used = 0;
    for (unsigned i = 0; i < vq->num; i++) {
        vq->desc[i].addr = (uint64_t)(uintptr_t)&bufs[i];
        vq->desc[i].len = sizeof(struct input_event);
        vq->desc[i].flags = writable ? VIRTQ_DESC_F_WRITE : 0;
        vq->desc[i].next = 0;
        if (writable) vq->avail.ring[i] = (uint16_t)i;
    }
    vq->avail.flags = 0;
    vq->avail.idx = writable ? vq->num : 0;
    vq->used.flags = 0;
    vq->used.idx = 0;
    mb(); /* the rings are in memory before the device is told where they are */
    wr32(d->base, MMIO_QUEUE_NUM, vq->num);
    uint64_t a[3] = {(uintptr_t)vq->desc, (uintptr_t)&vq->avail, (uintptr_t)&vq->used};
    for (int i = 0; i < 3; i++) {
        wr32(d->base, MMIO_QUEUE_DESC + 0x10 * i, (uint32_t)a[i]);
        wr32(d->base, MMIO_QUEUE_DESC + 0x10 * i + 4, (uint32_t)(a[i] >> 32));
    }
    wr32(d->base, MMIO_QUEUE_READY, 1);
    return 1;
}

/* Modern init (3.1.1). Returns 0 (status FAILED) if the device will not play. */
static int device_init(struct dev *d) {
    uint64_t b = d->base;
    wr32(b, MMIO_STATUS, 0);
    while (rd32(b, MMIO_STATUS) != 0) {
    } /* reset is complete when status reads back 0 */
    wr32(b, MMIO_STATUS, STATUS_ACKNOWLEDGE);
    wr32(b, MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    wr32(b, MMIO_DEV_FEAT_SEL, 1);
    uint32_t hi = rd32(b, MMIO_DEV_FEATURES);
    /* Accept only VIRTIO_F_VERSION_1: no ring features, so plain split rings. */
    wr32(b, MMIO_DRV_FEAT_SEL, 0);
    wr32(b, MMIO_DRV_FEATURES, 0);
    wr32(b, MMIO_DRV_FEAT_SEL, 1);
    wr32(b, MMIO_DRV_FEATURES, hi & F_VERSION_1_HI);
    uint32_t st = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK;
    wr32(b, MMIO_STATUS, st);
    if (!(hi & F_VERSION_1_HI) || !(rd32(b, MMIO_STATUS) & STATUS_FEATURES_OK) ||
        !queue_init(d, 0, &d->evq, d->evbuf, EVQ_N, 1) ||
        !queue_init(d, 1, &d->stq, d->stbuf, STQ_N, 0)) {
        wr32(b, MMIO_STATUS, st | STATUS_FAILED);
        return 0;
    }
    wr32(b, MMIO_STATUS, st | STATUS_DRIVER_OK);
    mb();
    wr32(b, MMIO_QUEUE_NOTIFY, 0); /* the eventq buffers are there */
    return 1;
}

/* Select (select, subsel) and copy the union into out; returns `size`. Byte accesses only.
 * Retried while ConfigGeneration moves, so size and data come from the same answer. */
static unsigned cfg_query(uint64_t b, uint8_t select, uint8_t subsel, uint8_t out[128]) {
    *(volatile uint8_t *)(b + MMIO_CONFIG + CFG_SELECT) = select;
    *(volatile uint8_t *)(b + MMIO_CONFIG + CFG_SUBSEL) = subsel;
    uint32_t gen;
    unsigned size;
    do {
        gen = rd32(b, MMIO_CONFIG_GEN);
        size = cfg8(b, CFG_SIZE);
        if (size > 128) size = 128;
        for (unsigned i = 0; i < size; i++) out[i] = cfg8(b, CFG_U + i);
    } while (rd32(b, MMIO_CONFIG_GEN) != gen);
    return size;
}

static unsigned count_bits(uint64_t b, uint8_t ev_type) {
    uint8_t bm[128];
    unsigned size = cfg_query(b, CFG_EV_BITS, ev_type, bm), n = 0;
    for (unsigned i = 0; i < size; i++)
        for (uint8_t v = bm[i]; v; v &= (uint8_t)(v - 1)) n++;
    return n;
}

static void put_abs_range(uint64_t b, uint8_t axis) {
    uint8_t u[128] = {0};
    cfg_query(b, CFG_ABS_INFO, axis, u);
    puti((int32_t)(u[0] | u[1] << 8 | u[2] << 16 | (uint32_t)u[3] << 24));
    puts_uart("..");
    puti((int32_t)(u[4] | u[5] << 8 | u[6] << 16 | (uint32_t)u[7] << 24));
}

static void describe(struct dev *d) {
    uint8_t name[128];
    unsigned len = cfg_query(d->base, CFG_ID_NAME, 0, name);
    unsigned abs = count_bits(d->base, EV_ABS);
    puts_uart("inputprobe: slot ");
    putu(d->slot);
    puts_uart(" \"");
    for (unsigned i = 0; i < len && name[i] != '\0'; i++) putc_uart(name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?');
    puts_uart("\" keys ");
    putu(count_bits(d->base, EV_KEY));
    puts_uart(" rel ");
    putu(count_bits(d->base, EV_REL));
    puts_uart(" abs ");
    putu(abs);
    puts_uart(" leds ");
    putu(count_bits(d->base, EV_LED));
    puts_uart("\n");
    if (abs > 0) {
        puts_uart("inputprobe: slot ");
        putu(d->slot);
        puts_uart(" abs x ");
        put_abs_range(d->base, 0);
        puts_uart(" y ");
        put_abs_range(d->base, 1);
        puts_uart("\n");
    }
}

/* Take back statusq buffers the device has consumed. */
static void reclaim_status(struct dev *d) {
    struct vq *q = &d->stq;
    while (q->last_used != q->used.idx) {
        rmb();
        uint32_t id = q->used.ring[q->last_used % q->num].id;
        if (id < q->num) d->st_busy[id] = 0;
        q->last_used++;
    }
}

static void send_led(struct dev *d, uint16_t code, uint32_t value) {
    struct vq *q = &d->stq;
    reclaim_status(d);
    unsigned id = 0;
    while (id < q->num && d->st_busy[id]) id++;
    if (id == q->num) {
        puts_uart("inputprobe: slot ");
        putu(d->slot);
        puts_uart(" statusq full\n");
        return;
    }
    d->st_busy[id] = 1;
    d->stbuf[id].type = EV_LED;
    d->stbuf[id].code = code;
    d->stbuf[id].value = value;
    q->avail.ring[q->avail.idx % q->num] = (uint16_t)id;
    wmb(); /* buffer and ring entry before the index */
    q->avail.idx++;
    mb(); /* index before the notify */
    wr32(d->base, MMIO_QUEUE_NOTIFY, 1);
}

/* Echo and recycle every event the device has used; caps lock toggles the LED. */
static void poll_events(struct dev *d) {
    struct vq *q = &d->evq;
    int reposted = 0;
    uint32_t isr = rd32(d->base, MMIO_INT_STATUS);
    if (isr) wr32(d->base, MMIO_INT_ACK, isr);
    while (q->last_used != q->used.idx) {
        rmb(); /* the entry and its buffer are valid once used.idx covers them */
        uint32_t id = q->used.ring[q->last_used % q->num].id;
        q->last_used++;
        if (id >= q->num) {
            puts_uart("inputprobe: slot ");
            putu(d->slot);
            puts_uart(" bad used id\n");
            continue;
        }
        struct input_event ev = {d->evbuf[id].type, d->evbuf[id].code, d->evbuf[id].value};
        puts_uart("ev ");
        putu(d->slot);
        putc_uart(' ');
        putu(ev.type);
        putc_uart(' ');
        putu(ev.code);
        putc_uart(' ');
        puti((int32_t)ev.value);
        puts_uart("\n");
        q->avail.ring[q->avail.idx % q->num] = (uint16_t)id;
        wmb();
        q->avail.idx++;
        reposted = 1;
        if (ev.type == EV_KEY && ev.code == KEY_CAPSLOCK && ev.value == 1) {
            d->caps ^= 1;
            puts_uart("led ");
            putu(d->slot);
            putc_uart(' ');
            putu(d->caps);
            puts_uart("\n");
            send_led(d, LED_CAPSL, d->caps);
        }
    }
    if (reposted) {
        mb();
        wr32(d->base, MMIO_QUEUE_NOTIFY, 0);
    }
    reclaim_status(d);
}

/* ------------------------------------------------------------------- main */

void main(const void *fdt) {
    uint64_t bases[MAX_DEVS * 4];
    int n = fdt_virtio_bases(fdt, bases, MAX_DEVS * 4);
    /* Slot order is address order, whatever order the tree lists them in. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && bases[j - 1] > bases[j]; j--) {
            uint64_t t = bases[j];
            bases[j] = bases[j - 1];
            bases[j - 1] = t;
        }

    for (int i = 0; i < n && ndevs < MAX_DEVS; i++) {
        uint64_t b = bases[i];
        unsigned slot = (unsigned)((b - VIRTIO_BASE) / VIRTIO_STRIDE);
        if (rd32(b, MMIO_MAGIC) != VIRTIO_MAGIC || rd32(b, MMIO_DEVICE_ID) != VIRTIO_ID_INPUT) continue;
        if (rd32(b, MMIO_VERSION) != 2) {
            /* QEMU's transports are legacy unless -global virtio-mmio.force-legacy=false. */
            puts_uart("inputprobe: slot ");
            putu(slot);
            puts_uart(" legacy virtio-mmio, skipped\n");
            continue;
        }
        struct dev *d = &devs[ndevs];
        d->base = b;
        d->slot = slot;
        if (!device_init(d)) {
            puts_uart("inputprobe: slot ");
            putu(slot);
            puts_uart(" init failed\n");
            continue;
        }
        describe(d);
        ndevs++;
    }
    puts_uart("inputprobe: ready ");
    putu((uint64_t)ndevs);
    puts_uart("\n");

    for (;;)
        for (int i = 0; i < ndevs; i++) poll_events(&devs[i]);
}

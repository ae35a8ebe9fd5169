/* Command-line parsing. Pure: no hypervisor, no console, so it is unit-tested on the host. */
#include <stddef.h>
#include "options.h"

#define DEFAULT_TICK_MS 1000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_ROUNDS 1
#define MAX_ROUNDS 1000000
#define DEFAULT_COUNT 4
#define DEFAULT_INTERVAL_MS 200
/* The flood's payload: 18 bytes make the smallest Ethernet frame (60), 1472 the largest (1514). */
#define MIN_SIZE 18
#define MAX_SIZE 1472
#define DEFAULT_SIZE MAX_SIZE
/* Domain ids are 15 bits; the DOMID_* specials above them name no domain. */
#define MAX_DOMID 0x7fef

static const char *const MODES[] = {
    [MODE_IDLE] = "idle", [MODE_ECHO] = "echo", [MODE_EXIT] = "exit",
    [MODE_REBOOT] = "reboot", [MODE_SERVER] = "server", [MODE_CLIENT] = "client", [MODE_FAULT] = "fault",
    [MODE_XENSTORE] = "xenstore", [MODE_DISK] = "disk", [MODE_NET] = "net", [MODE_SCREEN] = "screen",
};
#define NMODES (sizeof MODES / sizeof MODES[0])

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Does the word [w, end) start with "key="? Then *value points past the '='. */
static bool key_is(const char *w, const char *end, const char *key, const char **value) {
    while (*key != '\0') {
        if (w == end || *w != *key) return false;
        w++, key++;
    }
    if (w == end || *w != '=') return false;
    *value = w + 1;
    return true;
}

static bool value_is(const char *v, const char *end, const char *s) {
    while (v < end && *s != '\0' && *v == *s) v++, s++;
    return v == end && *s == '\0';
}

/* A decimal number filling [v, end) exactly, at most max; a leading '-' only if allowed. */
static bool parse_number(const char *v, const char *end, bool allow_negative, uint64_t max, int64_t *out) {
    bool negative = false;
    if (allow_negative && v < end && *v == '-') negative = true, v++;
    if (v == end) return false;
    uint64_t n = 0;
    for (; v < end; v++) {
        if (*v < '0' || *v > '9') return false;
        unsigned d = (unsigned)(*v - '0');
        if (n > (max - d) / 10) return false;
        n = n * 10 + d;
    }
    *out = negative ? -(int64_t)n : (int64_t)n;
    return true;
}

/* An IPv4 address, a.b.c.d (each 0..255, decimal), filling [v, end) exactly. */
static bool parse_ip(const char *v, const char *end, uint32_t *out) {
    uint32_t ip = 0;
    for (int part = 0; part < 4; part++) {
        const char *dot = v;
        while (dot < end && *dot != '.') dot++;
        if ((part < 3) != (dot < end)) return false; /* three dots, no more */
        int64_t n;
        if (dot - v > 3 || !parse_number(v, dot, false, 255, &n)) return false;
        ip = ip << 8 | (uint32_t)n;
        v = dot + 1;
    }
    *out = ip;
    return true;
}

static int word(const char *w, const char *end, struct options *o, const char **why) {
    const char *v;
    int64_t n;
    if (key_is(w, end, "mode", &v)) {
        for (size_t m = 0; m < NMODES; m++) {
            if (value_is(v, end, MODES[m])) {
                o->mode = (enum mode)m;
                return 0;
            }
        }
        *why = "mode must be idle, echo, exit, reboot, server, client, fault, xenstore, disk, net or screen";
        return -1;
    }
    if (key_is(w, end, "tick", &v)) {
        /* An hour is plenty; the bound keeps ms -> timer ticks from overflowing. */
        if (!parse_number(v, end, false, 3600000, &n) || n == 0) {
            *why = "tick must be a number of milliseconds, 1..3600000";
            return -1;
        }
        o->tick_ms = (uint64_t)n;
        return 0;
    }
    if (key_is(w, end, "timeout", &v)) {
        if (!parse_number(v, end, false, 86400000, &n) || n == 0) {
            *why = "timeout must be a number of milliseconds, 1..86400000";
            return -1;
        }
        o->timeout_ms = (uint64_t)n;
        return 0;
    }
    if (key_is(w, end, "code", &v)) {
        if (!parse_number(v, end, true, INT64_MAX, &n)) {
            *why = "code must be a decimal integer";
            return -1;
        }
        o->exit_code = n;
        return 0;
    }
    if (key_is(w, end, "peer", &v)) {
        if (!parse_number(v, end, false, MAX_DOMID, &n)) {
            *why = "peer must be a domain id, 0..32751";
            return -1;
        }
        o->peer = (uint32_t)n;
        return 0;
    }
    if (key_is(w, end, "grantee", &v)) {
        if (!parse_number(v, end, false, MAX_DOMID, &n)) {
            *why = "grantee must be a domain id, 0..32751";
            return -1;
        }
        o->grantee = (uint32_t)n;
        return 0;
    }
    if (key_is(w, end, "rounds", &v)) {
        if (!parse_number(v, end, false, MAX_ROUNDS, &n)) {
            *why = "rounds must be a number, 0..1000000";
            return -1;
        }
        o->rounds = (uint32_t)n;
        return 0;
    }
    if (key_is(w, end, "share", &v)) {
        if (value_is(v, end, "copy")) o->share = SHARE_COPY;
        else if (value_is(v, end, "map")) o->share = SHARE_MAP;
        else {
            *why = "share must be copy or map";
            return -1;
        }
        return 0;
    }
    if (key_is(w, end, "then", &v)) {
        if (value_is(v, end, "poweroff")) o->then = THEN_POWEROFF;
        else if (value_is(v, end, "reboot")) o->then = THEN_REBOOT;
        else {
            *why = "then must be poweroff or reboot";
            return -1;
        }
        return 0;
    }
    if (key_is(w, end, "ip", &v)) {
        if (!parse_ip(v, end, &o->ip) || o->ip == 0) {
            *why = "ip must be an IPv4 address, a.b.c.d";
            return -1;
        }
        return 0;
    }
    if (key_is(w, end, "ping", &v)) {
        if (!parse_ip(v, end, &o->ping) || o->ping == 0) {
            *why = "ping must be an IPv4 address, a.b.c.d";
            return -1;
        }
        return 0;
    }
    if (key_is(w, end, "count", &v)) {
        if (!parse_number(v, end, false, 1000000, &n) || n == 0) {
            *why = "count must be a number, 1..1000000";
            return -1;
        }
        o->count = (uint32_t)n;
        return 0;
    }
    if (key_is(w, end, "interval", &v)) {
        if (!parse_number(v, end, false, 3600000, &n) || n == 0) {
            *why = "interval must be a number of milliseconds, 1..3600000";
            return -1;
        }
        o->interval_ms = (uint64_t)n;
        return 0;
    }
    if (key_is(w, end, "flood", &v)) {
        const char *colon = v;
        while (colon < end && *colon != ':') colon++;
        if (colon == end || !parse_ip(v, colon, &o->flood) || o->flood == 0 || !parse_number(colon + 1, end, false, 65535, &n) ||
            n == 0) {
            *why = "flood must be <a.b.c.d>:<port>, port 1..65535";
            return -1;
        }
        o->flood_port = (uint16_t)n;
        return 0;
    }
    if (key_is(w, end, "size", &v)) {
        if (!parse_number(v, end, false, MAX_SIZE, &n) || n < MIN_SIZE) {
            *why = "size must be a number of bytes, 18..1472";
            return -1;
        }
        o->size = (uint32_t)n;
        return 0;
    }
    if (key_is(w, end, "duration", &v)) {
        if (!parse_number(v, end, false, 86400000, &n)) {
            *why = "duration must be a number of milliseconds, 0..86400000 (0: for ever)";
            return -1;
        }
        o->duration_ms = (uint64_t)n;
        return 0;
    }
    if (key_is(w, end, "fb", &v)) {
        const char *x = v;
        while (x < end && *x != 'x') x++;
        int64_t h;
        if (x == end || !parse_number(v, x, false, FB_MAX_WIDTH, &n) || n < FB_MIN_WIDTH ||
            !parse_number(x + 1, end, false, FB_MAX_HEIGHT, &h) || h < FB_MIN_HEIGHT) {
            *why = "fb must be <width>x<height>, 160x120 up to 1024x768";
            return -1;
        }
        o->fb_width = (uint32_t)n;
        o->fb_height = (uint32_t)h;
        return 0;
    }
    if (key_is(w, end, "name", &v)) {
        size_t len = (size_t)(end - v);
        if (len == 0 || len >= OPTION_NAME_MAX) {
            *why = "name must be 1..63 characters";
            return -1;
        }
        for (size_t i = 0; i < len; i++) o->name[i] = v[i];
        o->name[len] = '\0';
        return 0;
    }
    return 0;
}

int options_parse(const char *cmdline, struct options *o, const char **why) {
    *o = (struct options){
        .mode = MODE_IDLE, .tick_ms = DEFAULT_TICK_MS, .exit_code = 0,
        .peer = UINT32_MAX, .grantee = UINT32_MAX, .share = SHARE_COPY, .timeout_ms = DEFAULT_TIMEOUT_MS, .rounds = DEFAULT_ROUNDS, .then = THEN_POWEROFF,
        .ip = 0, .ping = 0, .count = DEFAULT_COUNT, .interval_ms = DEFAULT_INTERVAL_MS,
        .flood = 0, .flood_port = 0, .size = DEFAULT_SIZE, .duration_ms = 0,
        .fb_width = FB_DEFAULT_WIDTH, .fb_height = FB_DEFAULT_HEIGHT, .name = "",
    };
    const char *p = cmdline;
    for (;;) {
        while (is_space(*p)) p++;
        if (*p == '\0') break;
        const char *w = p;
        while (*p != '\0' && !is_space(*p)) p++;
        if (word(w, p, o, why) != 0) return -1;
    }
    if ((o->mode == MODE_SERVER || o->mode == MODE_CLIENT) && o->peer == UINT32_MAX) {
        *why = "mode=server and mode=client need peer=<domid>";
        return -1;
    }
    if (o->mode == MODE_NET && o->ip == 0) {
        *why = "mode=net needs ip=<a.b.c.d>";
        return -1;
    }
    if (o->mode == MODE_NET && o->ping == o->ip) {
        *why = "ping= must be another address than ip=";
        return -1;
    }
    if (o->mode == MODE_NET && o->flood == o->ip) {
        *why = "flood= must be another address than ip=";
        return -1;
    }
    return 0;
}

/* The command line: space-separated key=value words. Unknown words are ignored (a config's
 * `extra` may carry options meant for someone else); a bad value for a known key is an error. */
#ifndef MINIOS_OPTIONS_H
#define MINIOS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum mode { MODE_IDLE, MODE_ECHO, MODE_EXIT, MODE_REBOOT, MODE_SERVER, MODE_CLIENT, MODE_FAULT, MODE_XENSTORE, MODE_DISK, MODE_NET, MODE_SCREEN };

/* server/client: how the pages cross, by GNTTABOP_copy or by mapping the server's page. */
enum share { SHARE_COPY, SHARE_MAP };

/* disk: how the mode ends. */
enum then { THEN_POWEROFF, THEN_REBOOT };

#define OPTION_NAME_MAX 64

/* screen: the framebuffer modes fb= takes (the largest is what fbfront has pages for). */
#define FB_MIN_WIDTH 160
#define FB_MIN_HEIGHT 120
#define FB_MAX_WIDTH 1024
#define FB_MAX_HEIGHT 768
#define FB_DEFAULT_WIDTH 640
#define FB_DEFAULT_HEIGHT 480

struct options {
    enum mode mode;
    uint64_t tick_ms;    /* idle: period of the tick line */
    int64_t exit_code;   /* exit: 0 powers off, anything else crashes */
    uint32_t peer;       /* server/client: the other domain's id */
    uint32_t grantee;    /* server: the domain its page is granted to; UINT32_MAX: the peer */
    enum share share;    /* server/client: copy or map */
    uint64_t timeout_ms; /* server/client, disk, net, screen: give up after this long */
    uint32_t rounds;     /* disk: write-and-verify rounds */
    enum then then;      /* disk: power off or reboot at the end */
    uint32_t ip;         /* net: our IPv4 address, a.b.c.d as (a << 24) | (b << 16) | (c << 8) | d */
    uint32_t ping;       /* net: the address to ping; 0: none */
    uint32_t count;      /* net: echo requests to send */
    uint64_t interval_ms; /* net: between two echo requests */
    uint32_t flood;      /* net: the address to flood with UDP datagrams; 0: none */
    uint16_t flood_port; /* net: their destination port */
    uint32_t size;       /* net: their payload bytes */
    uint64_t duration_ms; /* net: how long the flood lasts; 0: for ever */
    uint32_t fb_width, fb_height; /* screen: the framebuffer's mode, in pixels */
    char name[OPTION_NAME_MAX]; /* shown in the banner; empty if not given */
};

/* Fills *o (defaults first). Returns 0, or -1 with *why naming the problem (static text). */
int options_parse(const char *cmdline, struct options *o, const char **why);

#endif

/* minios: bring up the console, events and timer, then run the mode the command line asks for. */
#include "../include/domus-abi.h"
#include "arch.h"
#include "balloon.h"
#include "boot.h"
#include "console.h"
#include "control.h"
#include "disk.h"
#include "events.h"
#include "exchange.h"
#include "net.h"
#include "options.h"
#include "sched.h"
#include "screen.h"
#include "str.h"
#include "timer.h"
#include "vcpus.h"
#include "xenstore.h"

#define MiB (1024 * 1024)
/* Long enough for a slow backend, short enough that a dead one does not hold up a shutdown. */
#define FLUSH_MS 2000

__attribute__((noreturn)) static void stop(uint32_t reason) {
    sched_wake_hook = NULL; /* no more store requests: a dead store must not hold up a shutdown */
    net_report();
    console_flush(FLUSH_MS);
    sched_shutdown(reason);
}

__attribute__((noreturn)) static void run_idle(const struct options *o) {
    /* Deadlines count from the start, so the ticks do not drift by the printing time. */
    uint64_t start = timer_now(), period = timer_ms(o->tick_ms);
    for (uint64_t n = 1;; n++) {
        timer_arm(start + n * period);
        while (!timer_take()) sched_wait();
        printk("minios: tick %lu\n", (unsigned long)n);
    }
}

/* After every sleep: a shutdown request from the toolstack (control/shutdown)? mode=disk holds it
 * while it writes, so the disk is never left half-written by a shutdown. */
static void on_wake(void) {
    int reason = control_poll();
    if (reason >= 0 && !disk_defer_shutdown(reason)) stop((uint32_t)reason);
}

static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

__attribute__((noreturn)) static void run_echo(const struct boot_info *b) {
    events_watch(b->console_port);
    for (;;) {
        char buf[64], out[2 * sizeof buf];
        size_t n;
        /* Drain before sleeping: typing may have started before the port was watched. */
        while ((n = console_read(buf, sizeof buf)) > 0) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                /* A terminal sends Enter as CR; answer with a whole line break. */
                if (buf[i] == '\r') out[m++] = '\r', buf[i] = '\n';
                out[m++] = upper(buf[i]);
            }
            console_write(out, m);
        }
        while (!events_take(b->console_port)) sched_wait();
    }
}

/* Its own keys through the store, by relative paths (below /local/domain/<domid>): write and
 * read back data/hello, then report every value data/poke takes. */
__attribute__((noreturn)) static void run_xenstore(const struct boot_info *b) {
    char value[128], path[128], token[32];
    xs_init(b->store_ring, b->store_port);
    if (xs_read("domid", value, sizeof value) < 0) {
        printk("minios: xenstore FAILED: read domid: %s\n", xs_error());
        stop(SHUTDOWN_crash);
    }
    printk("minios: xenstore domid %s\n", value);
    if (xs_write("data/hello", "world") < 0) {
        printk("minios: xenstore FAILED: write data/hello: %s\n", xs_error());
        stop(SHUTDOWN_crash);
    }
    if (xs_read("data/hello", value, sizeof value) < 0 || !str_eq(value, "world")) {
        printk("minios: xenstore FAILED: read data/hello: %s\n", xs_error());
        stop(SHUTDOWN_crash);
    }
    if (xs_watch("data/poke", "poke") < 0) {
        printk("minios: xenstore FAILED: watch data/poke: %s\n", xs_error());
        stop(SHUTDOWN_crash);
    }
    if (xs_watch("control/shutdown", CONTROL_TOKEN) < 0) {
        printk("minios: xenstore FAILED: watch control/shutdown: %s\n", xs_error());
        stop(SHUTDOWN_crash);
    }
    if (xs_watch(BALLOON_PATH, BALLOON_TOKEN) < 0) {
        printk("minios: xenstore FAILED: watch " BALLOON_PATH ": %s\n", xs_error());
        stop(SHUTDOWN_crash);
    }
    printk("minios: xenstore ok\n");
    for (;;) {
        xs_next_event(path, sizeof path, token, sizeof token);
        if (str_eq(token, CONTROL_TOKEN)) {
            int reason = control_check();
            if (reason >= 0) stop((uint32_t)reason);
            continue;
        }
        if (str_eq(token, BALLOON_TOKEN)) {
            balloon_check();
            continue;
        }
        /* The first event comes at once (the watch's registration); the node may not exist. */
        if (!str_eq(token, "poke") || xs_read("data/poke", value, sizeof value) < 0) continue;
        printk("minios: watch data/poke = %s\n", value);
    }
}

__attribute__((noreturn)) void minios_main(uint64_t vcpu, const void *dtb, volatile uint8_t *start_info) {
    struct boot_info b;
    const char *bad = boot_read(vcpu, dtb, start_info, &b);
    if (bad != NULL) {
        printk("minios: cannot boot: %s\n", bad);
        sched_shutdown(SHUTDOWN_crash);
    }
    struct options o;
    const char *why = NULL;
    int parsed = options_parse(b.cmdline, &o, &why);

    /* The banner goes out through console_io, before anything that could fail. nr_pages leaves
     * out the hypervisor's pages at the top of RAM, so round up to the configured size. A PV
     * domain cannot learn its name or id without xenstore: name= on the command line says it. */
    unsigned long mib = (unsigned long)((b.nr_pages * PAGE_SIZE + MiB - 1) / MiB);
    printk("minios: booting on Domus (domain %s, %lu MiB)\n", o.name[0] != '\0' ? o.name : "?", mib);

    events_init(b.shared_info, b.vcpu);
    timer_init(b.timebase_hz);
    console_use_ring(b.console_ring, b.console_port);
    csr_set("sstatus", SSTATUS_SIE);

    printk("minios: command line: %s\n", b.cmdline);
    if (parsed != 0) {
        printk("minios: bad command line: %s\n", why);
        stop(SHUTDOWN_crash);
    }
    printk("minios: ready\n");

    /* Every mode takes shutdown requests, balloon targets and vCPU availability; mode=xenstore
     * watches control/shutdown and memory/target itself (and leaves vCPUs alone). */
    balloon_init(&b);
    if (o.mode != MODE_XENSTORE) {
        control_watch_nowait(&b);
        balloon_watch_nowait(&b);
        vcpus_watch_nowait(&b);
        sched_wake_hook = on_wake;
    }

    switch (o.mode) {
    case MODE_IDLE:
        run_idle(&o);
    case MODE_ECHO:
        run_echo(&b);
    case MODE_EXIT:
        printk("minios: exit code %ld\n", (long)o.exit_code);
        stop(o.exit_code == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
    case MODE_REBOOT:
        printk("minios: rebooting\n");
        stop(SHUTDOWN_reboot);
    case MODE_SERVER:
        stop(exchange_server(&b, &o) == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
    case MODE_CLIENT:
        stop(exchange_client(&b, &o) == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
    case MODE_XENSTORE:
        run_xenstore(&b);
    case MODE_DISK: {
        int reason = disk_run(&b, &o);
        stop(reason < 0 ? SHUTDOWN_crash : (uint32_t)reason);
    }
    case MODE_NET:
        net_run(&b, &o); /* returns only if it failed */
        stop(SHUTDOWN_crash);
    case MODE_SCREEN:
        screen_run(&b, &o); /* returns only if it failed */
        stop(SHUTDOWN_crash);
    case MODE_FAULT:
        /* An illegal instruction, so tests can see the fatal-trap report and the crash. */
        __asm__ volatile("unimp");
    }
    stop(SHUTDOWN_crash);
}

/* A small xenstore client on the domain's xenstore ring (Xen's io/xs_wire.h): one request at a
 * time, each waiting for its reply. Watch events that arrive meanwhile are kept for
 * xs_next_event. Paths without a leading '/' are relative to the domain's home,
 * /local/domain/<domid>, so minios needs no domid to use its own keys. */
#ifndef MINIOS_XENSTORE_H
#define MINIOS_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Use the xenstore_domain_interface page at `ring`, notifying (and watching) `port`. */
void xs_init(volatile uint8_t *ring, uint32_t port);

/* Each returns 0 (xs_read: the value's length, with the value NUL-terminated in buf), or -1
 * with xs_error() naming the store's error (e.g. "ENOENT") or what went wrong locally. */
int xs_write(const char *path, const char *value);
int xs_read(const char *path, char *buf, size_t size);
int xs_watch(const char *path, const char *token);
const char *xs_error(void);

/* DIRECTORY: the names below `path`, each followed by its NUL ("a\0b\0"), into buf (cut after
 * the last whole name that fits, and NUL-terminated once more). Returns the bytes of names kept
 * (0: no children), or -1 with xs_error(). */
int xs_directory(const char *path, char *buf, size_t size);

/* Sends a WATCH without waiting for its reply (dropped when it comes): for a guest that must
 * not hang when no store answers. 0, or -1 if the request is too long. */
int xs_watch_nowait(const char *path, const char *token);

/* Takes the next watch event if one is there (kept, or a whole message in the ring), without
 * waiting; other messages read on the way are dropped. Called from a wait inside a request (a
 * sched_wake_hook), it returns false: the request keeps the events it reads meanwhile. */
bool xs_poll_event(char *path, size_t path_size, char *token, size_t token_size);

/* Waits for the next watch event; copies its path and token (NUL-terminated, cut to fit). */
void xs_next_event(char *path, size_t path_size, char *token, size_t token_size);

#endif

/* sched_op: giving up the CPU, sleeping, shutting down. */
#ifndef MINIOS_SCHED_H
#define MINIOS_SCHED_H

#include <stdint.h>

void sched_yield(void);

/* Sleep until a watched event channel or the timer fires (returns at once if one already
 * has). SCHEDOP_block, so an idle minios costs the host nothing. */
void sched_wait(void);

/* If set, called after every sched_wait (with interrupts as they were): minios looks for a
 * shutdown request there, so every mode that sleeps in sched_wait takes one. */
extern void (*sched_wake_hook)(void);

/* SCHEDOP_shutdown with a SHUTDOWN_* reason. Does not return. */
__attribute__((noreturn)) void sched_shutdown(uint32_t reason);

#endif

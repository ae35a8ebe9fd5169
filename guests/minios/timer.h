/* Time and the one-shot timer: the `time` CSR and Sstc's stimecmp, at the device tree's
 * timebase frequency. */
#ifndef MINIOS_TIMER_H
#define MINIOS_TIMER_H

#include <stdbool.h>
#include <stdint.h>

void timer_init(uint64_t hz);
uint64_t timer_now(void);
uint64_t timer_ms(uint64_t ms); /* milliseconds in timer ticks */

/* Raise the timer interrupt once time reaches `deadline` (an absolute timer_now value). */
void timer_arm(uint64_t deadline);

/* Did the armed deadline pass since the last take? Clears it. */
bool timer_take(void);
bool timer_fired(void);

/* The supervisor timer interrupt. */
void timer_interrupt(void);

#endif

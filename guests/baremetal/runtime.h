/* The rest of the bare-metal runtime: exit through the SiFive test finisher (0x100000) and
 * the trap report. start.S calls main(device tree) on hart 0; a trap calls trap_handler. */
#ifndef BAREMETAL_RUNTIME_H
#define BAREMETAL_RUNTIME_H

#include <stdint.h>

#define FINISHER_FAIL 0x3333u /* | (code << 16): QEMU and Domus exit with status `code` */
#define FINISHER_PASS 0x5555u /* exit status 0 */

/* The guest's name, which starts the trap report; each guest defines it. */
extern const char guest_name[];

/* Writes `code` to the finisher (which powers off), then waits forever. */
__attribute__((noreturn)) void finish(uint32_t code);

/* Prints "<guest_name> trap mcause=<16 hex> mepc=<16 hex> mtval=<16 hex>" and exits with
 * FINISHER_FAIL | (1 << 16). */
__attribute__((noreturn)) void trap_handler(uint64_t mcause, uint64_t mepc, uint64_t mtval);

#endif

/* Calling the hypervisor: `ecall` with a7 = SBI_EXT_DOMUS, a6 = the Xen hypercall number,
 * arguments in a0..a4, the result (>= 0 or a negative Xen errno) back in a0. Structure
 * arguments are passed by guest-physical address; with paging off that is the pointer. */
#ifndef MINIOS_HYPERCALL_H
#define MINIOS_HYPERCALL_H

#include <stdint.h>
#include "../include/domus-abi.h"
#include "sbi.h"

/* A hypercall is an SBI call of the Domus extension: a1/a2 are in-out, as the SBI returns a
 * value in a1, and we promise nothing else. */
static inline long hypercall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2) {
    return sbi_call(SBI_EXT_DOMUS, nr, a0, a1, a2, NULL);
}

static inline uint64_t gpa(const volatile void *p) { return (uint64_t)(uintptr_t)p; }

#endif

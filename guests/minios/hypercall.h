/* Calling the hypervisor: `ecall` with a7 = SBI_EXT_DOMUS, a6 = the Xen hypercall number,
 * arguments in a0..a4, the result (>= 0 or a negative Xen errno) back in a0. Structure
 * arguments are passed by guest-physical address; with paging off that is the pointer. */
#ifndef MINIOS_HYPERCALL_H
#define MINIOS_HYPERCALL_H

#include <stdint.h>
#include "../include/domus-abi.h"

static inline long hypercall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2) {
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r6 __asm__("a6") = nr;
    register unsigned long r7 __asm__("a7") = SBI_EXT_DOMUS;
    /* a1/a2 are in-out: the SBI convention returns a value in a1 and we promise nothing else. */
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1), "+r"(r2) : "r"(r6), "r"(r7) : "memory");
    return (long)r0;
}

static inline uint64_t gpa(const volatile void *p) { return (uint64_t)(uintptr_t)p; }

#endif

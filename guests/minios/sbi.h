/* The SBI calls minios makes besides hypercalls (RISC-V SBI specification 2.0): HSM to start and
 * stop vCPUs, IPI to wake one. These are the platform's numbers, not Domus ABI. */
#ifndef MINIOS_SBI_H
#define MINIOS_SBI_H

#include <stddef.h>
#include <stdint.h>

#define SBI_EXT_IPI 0x735049
#define SBI_EXT_HSM 0x48534d
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STOP 1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_STARTED 0
#define SBI_HSM_STOPPED 1

/* An SBI call: the error (0 or negative) in a0; the value, if any, in *value. */
static inline long sbi_call(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1, unsigned long a2,
                            long *value) {
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1), "+r"(r2) : "r"(r6), "r"(r7) : "memory");
    if (value != NULL) *value = (long)r1;
    return (long)r0;
}

#endif

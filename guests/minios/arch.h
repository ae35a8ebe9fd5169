/* The RISC-V hart as minios uses it: CSR access, the few CSR bits it touches, memory fences.
 * These are architecture facts (privileged spec), not Domus ABI, so they live here rather
 * than in the generated domus-abi.h. */
#ifndef MINIOS_ARCH_H
#define MINIOS_ARCH_H

/* Shared with start.S: constants are written so the assembler can read them too. */
#ifdef __ASSEMBLER__
#define BIT(n) (1 << (n))
#else
#include <stdint.h>
#define BIT(n) (1UL << (n))
#endif

/* Frames in start_info and the grant table are guest-physical addresses >> PAGE_SHIFT: the
 * hypervisor's frame is the RISC-V base page. */
#define PAGE_SHIFT 12
#define PAGE_SIZE BIT(PAGE_SHIFT)

#define SSTATUS_SIE BIT(1)
#define SSTATUS_FS (BIT(13) | BIT(14))

/* Bit numbers of sie/sip and the low bits of an interrupt's scause. */
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9
#define SCAUSE_INTERRUPT BIT(63)

/* clang 14 does not know Sstc's CSR name yet, so address it by number. */
#define CSR_STIMECMP "0x14d"

#ifndef __ASSEMBLER__

#define csr_read(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " csr : "=r"(v_)); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " csr ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " csr ", %0" : : "r"((uint64_t)(v)) : "memory")

/* Shared pages are read and written by the hypervisor and other domains concurrently: these
 * order our accesses to them the way Xen's mb/rmb/wmb do. */
#define mb() __asm__ volatile("fence rw, rw" : : : "memory")
#define rmb() __asm__ volatile("fence r, r" : : : "memory")
#define wmb() __asm__ volatile("fence w, w" : : : "memory")

/* Interrupt handlers only set flags; code that tests a flag and then sleeps masks interrupts
 * around the pair so a wake-up cannot slip in between. */
static inline uint64_t irq_save(void) {
    uint64_t s;
    __asm__ volatile("csrrc %0, sstatus, %1" : "=r"(s) : "r"(SSTATUS_SIE) : "memory");
    return s & SSTATUS_SIE;
}

static inline void irq_restore(uint64_t saved) { csr_set("sstatus", saved); }

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif /* __ASSEMBLER__ */

#endif

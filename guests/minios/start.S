/* Entry and trap vector. The hypervisor enters _start in S-mode, paging off, with
 * a0 = vCPU id, a1 = device tree, a2 = start_info (guest-physical addresses). */
#include "arch.h"

    .section .text.init, "ax"
    .globl _start
_start:
    /* minios is uniprocessor: should the hypervisor start other vCPUs here too, they must not
     * share vCPU 0's stack, so they park. */
    bnez    a0, park

    csrw    sie, zero
    csrci   sstatus, SSTATUS_SIE
    la      t0, trap_entry
    csrw    stvec, t0
    /* No floating point in minios: with FS = Off a stray FP instruction traps and is reported,
     * instead of using state that the trap path does not save. */
    li      t0, SSTATUS_FS
    csrc    sstatus, t0

    la      sp, __stack_top
    /* .bss is not cleared here: the PV boot protocol hands over RAM that is zero outside what
     * was loaded, .bss included, as Xen's domain builder does. Clearing its 4.4 MiB (mostly
     * fbfront's framebuffer) one store at a time took about 10 ms before the first line. */
    call    minios_main     /* (vcpu, dtb, start_info): never returns */

park:
    csrw    sie, zero
    wfi
    j       park

/* A secondary vCPU that minios started (vcpus.c, SBI HSM hart_start): a0 = vCPU id, a1 = the top
 * of its own stack; S-mode, paging and interrupts off. */
    .globl vcpu_entry
vcpu_entry:
    csrw    sie, zero
    la      t0, trap_entry
    csrw    stvec, t0
    li      t0, SSTATUS_FS
    csrc    sstatus, t0
    mv      sp, a1
    call    vcpu_main       /* (vcpu): never returns */

/* Caller-saved registers: the C handler preserves the rest. 16 of them keep sp 16-aligned. */
#define FRAME (16 * 8)
.macro caller_saved op
    \op     ra, 0(sp)
    \op     t0, 8(sp)
    \op     t1, 16(sp)
    \op     t2, 24(sp)
    \op     t3, 32(sp)
    \op     t4, 40(sp)
    \op     t5, 48(sp)
    \op     t6, 56(sp)
    \op     a0, 64(sp)
    \op     a1, 72(sp)
    \op     a2, 80(sp)
    \op     a3, 88(sp)
    \op     a4, 96(sp)
    \op     a5, 104(sp)
    \op     a6, 112(sp)
    \op     a7, 120(sp)
.endm

    /* Traps arrive with sstatus.SIE cleared, so handlers never nest; sret restores it. */
    .align 2
trap_entry:
    addi    sp, sp, -FRAME
    caller_saved sd
    csrr    a0, scause
    csrr    a1, sepc
    csrr    a2, stval
    call    trap
    caller_saved ld
    addi    sp, sp, FRAME
    sret

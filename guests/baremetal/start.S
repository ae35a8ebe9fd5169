# Entry point of the bare-metal guests (cpubench, inputprobe): M-mode, loaded at 0x80000000
# as the "bios". Hart 0 runs main(a0 = the device tree); every other hart parks in WFI forever.
# a1 holds the device tree's address on entry (QEMU's reset vector and Domus both pass it).
#include "../include/zero-bss.h"

    .section .text.init, "ax"
    .globl _start
_start:
    csrr    t0, mhartid
    bnez    t0, park
    mv      s0, a1              # keep the device tree pointer for main

    # Trap vector first, so a fault is reported, not silent.
    la      t0, trap_entry
    csrw    mtvec, t0

    # Turn on the FPU (mstatus.FS = Initial); FP instructions trap while FS = Off.
    li      t0, 0x2000
    csrs    mstatus, t0
    csrw    fcsr, zero

    la      sp, __stack_top

    # Zero .bss (the flat binary does not carry it).
    ZERO_BSS
    mv      a0, s0
    call    main
    # main powers off or loops forever; if it ever returns, fall through and park.

park:
    wfi
    j       park

    # Any trap is a bug in the guest or the emulator: hand the cause to C (runtime.c),
    # which prints it and fails via the finisher.
    .align 4
trap_entry:
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    trap_handler
    j       park

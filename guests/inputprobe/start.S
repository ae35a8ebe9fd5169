# Entry point for inputprobe: M-mode, loaded at 0x80000000 as the "bios".
# Hart 0 runs the probe; every other hart parks in WFI forever.
# a1 holds the device tree's address (QEMU's reset vector and Domus both pass it).

    .section .text.init, "ax"
    .globl _start
_start:
    csrr    t0, mhartid
    bnez    t0, park
    mv      s0, a1              # keep the device tree pointer for main

    # Trap vector first, so a fault is reported, not silent.
    la      t0, trap_entry
    csrw    mtvec, t0

    # Turn on the FPU (mstatus.FS = Initial) in case the compiler uses FP registers.
    li      t0, 0x2000
    csrs    mstatus, t0
    csrw    fcsr, zero

    la      sp, __stack_top

    # Zero .bss (the flat binary does not carry it).
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    mv      a0, s0
    call    main
    # main never returns; if it does, park.

park:
    wfi
    j       park

    # Any trap is a bug in the guest or the emulator: hand the cause to C,
    # which prints it and fails via the finisher.
    .align 4
trap_entry:
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    trap_handler
    j       park

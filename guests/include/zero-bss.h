/* For the bare-metal guests' start.S (guests/baremetal): ZERO_BSS clears
 * [__bss_start, __bss_end) a doubleword at a time with t0 and t1 (the linker scripts align
 * both ends to 16). A flat image does not carry .bss, and a loader need not have zeroed it. */
#ifndef GUESTS_ZERO_BSS_H
#define GUESTS_ZERO_BSS_H

.macro ZERO_BSS
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
.endm

#endif

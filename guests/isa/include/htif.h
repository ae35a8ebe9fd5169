/* HTIF, as Spike has it: the host watches the `tohost` word (and answers in `fromhost`);
   both must be 8-byte symbols for QEMU to find them. */
#ifndef DOMUS_ISA_HTIF_H
#define DOMUS_ISA_HTIF_H

.macro HTIF_WORDS
  .pushsection .tohost, "aw", @progbits
  .align 3
  .globl tohost
tohost:
  .dword 0
  .size tohost, 8
  .globl fromhost
fromhost:
  .dword 0
  .size fromhost, 8
  .popsection
.endm

#endif

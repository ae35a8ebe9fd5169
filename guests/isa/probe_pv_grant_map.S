/* Probe (not an ISA test): grant mapping. A paravirtual guest grants one of its pages read-only
   and maps that grant (GNTTABOP_map_grant_ref) at another of its pages, the window. It reads the
   granted page through the window, also after writing it, and finds the entry marked
   GTF_reading. A store through the window takes a store access fault (scause 7) and changes
   nothing; a jump into it takes an instruction access fault (scause 1). After the unmap the
   entry is unmarked and the window shows its own contents again. It powers off when every step
   went as it should and crashes otherwise. */
#include "include/pv.h"

/* `domus run` runs its guest as domain 1, and a grant names the domain it is for. */
#define DOMUS_RUN_DOMID 1
#define REF 8

  .section .text.init
  .globl _start
_start:
  la t0, on_trap
  csrw stvec, t0

  la a1, setup                     /* setup_table { dom = DOMID_SELF, nr_frames = 1, status, frame_list } */
  li t0, DOMID_SELF
  sh t0, 0(a1)
  li t0, 1
  sw t0, 4(a1)
  la t0, frames
  sd t0, 16(a1)
  li a0, GNTTABOP_setup_table
  call gnttab_op
  lh t0, 8(a1)
  bnez t0, crash
  ld s0, frames
  slli s0, s0, 12
  addi s0, s0, REF * GRANT_ENTRY_V1_SIZE   /* s0: entry REF */

  la s1, granted
  li t0, 0x600d
  sd t0, 0(s1)
  la s2, window
  li t0, 0x111
  sd t0, 0(s2)
  li t0, DOMUS_RUN_DOMID           /* the entry: for us, the granted page, read-only */
  sh t0, GE_DOMID(s0)
  srli t0, s1, 12
  sw t0, GE_FRAME(s0)
  fence w, w
  li t0, GTF_permit_access | GTF_readonly
  sh t0, GE_FLAGS(s0)

  la a1, map                       /* map { host_addr = window, host_map | readonly, REF, DOMID_SELF } */
  sd s2, GNTMAP_HOST_ADDR(a1)
  li t0, GNTMAP_host_map | GNTMAP_readonly
  sw t0, GNTMAP_FLAGS(a1)
  li t0, REF
  sw t0, GNTMAP_REF(a1)
  li t0, DOMID_SELF
  sh t0, GNTMAP_DOM(a1)
  li a0, GNTTABOP_map_grant_ref
  call gnttab_op
  lh t0, GNTMAP_STATUS(a1)
  bnez t0, crash
  lhu t0, GE_FLAGS(s0)
  andi t0, t0, GTF_reading | GTF_writing
  li t1, GTF_reading
  bne t0, t1, crash
  ld t0, 0(s2)                     /* the granted page, through the window */
  li t1, 0x600d
  bne t0, t1, crash
  li t1, 0x600e
  sd t1, 0(s1)
  ld t0, 0(s2)                     /* the same frame, not a copy */
  bne t0, t1, crash
  PV_PRINT read, read_end

  li s3, 0                         /* faults seen */
  li s4, 7                         /* the fault expected: store access */
  .option push
  .option norvc
  sd zero, 0(s2)
  .option pop
  li t0, 1
  bne s3, t0, crash
  ld t0, 0(s1)
  li t1, 0x600e
  bne t0, t1, crash
  li s4, 1                         /* instruction access */
  la ra, jumped
  jr s2
jumped:
  li t0, 2
  bne s3, t0, crash
  PV_PRINT refused, refused_end

  la a1, unmap                     /* unmap { host_addr = window, handle } */
  sd s2, GNTUNMAP_HOST_ADDR(a1)
  la t0, map
  lwu t0, GNTMAP_HANDLE(t0)
  sw t0, GNTUNMAP_HANDLE(a1)
  li a0, GNTTABOP_unmap_grant_ref
  call gnttab_op
  lh t0, GNTUNMAP_STATUS(a1)
  bnez t0, crash
  lhu t0, GE_FLAGS(s0)
  andi t0, t0, GTF_reading | GTF_writing
  bnez t0, crash
  ld t0, 0(s2)                     /* our own page again */
  li t1, 0x111
  bne t0, t1, crash
  PV_PRINT unmapped, unmapped_end
  PV_SHUTDOWN SHUTDOWN_poweroff
crash:
  PV_SHUTDOWN SHUTDOWN_crash

/* HYPERVISOR_grant_table_op(a0, a1, 1); crashes if the call itself fails. */
gnttab_op:
  li a2, 1
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_grant_table_op
  ecall
  bnez a0, crash
  ret

  .align 2
on_trap:
  csrr t2, scause
  bne t2, s4, crash
  addi s3, s3, 1
  li t3, 1
  beq t2, t3, 1f
  csrr t2, sepc
  addi t2, t2, 4                   /* skip the faulting (uncompressed) store */
  csrw sepc, t2
  sret
1:
  csrw sepc, ra                    /* back from the jump */
  sret

  .section .rodata
read: .ascii "grant map: the window shows the granted page\n"
read_end:
refused: .ascii "grant map: a store and a jump through the read-only window fault\n"
refused_end:
unmapped: .ascii "grant map: unmapped, the window is our own page again\n"
unmapped_end:

  .section .data
  .align 3
setup: .space 24
frames: .dword 0
map: .space GNTTAB_MAP_SIZE
unmap: .space GNTTAB_UNMAP_SIZE
  .align 12
granted: .space 4096
window: .space 4096

/* Probe (not an ISA test): a paravirtual guest gives one of its pages back to the hypervisor
   (HYPERVISOR_memory_op XENMEM_decrease_reservation), checks its reservation shrank by one page,
   reads the page (which must take a load access fault, scause 5: the page is a hole in its
   P2M), takes it again (XENMEM_populate_physmap) and finds it zeroed. It powers off when every
   step went as it should and crashes otherwise. */
#include "include/pv.h"
  .section .text.init
  .globl _start
_start:
  la t0, on_trap
  csrw stvec, t0
  la s0, victim
  li t0, 0x5555
  sd t0, 0(s0)
  srli t0, s0, 12
  la t1, extents
  sd t0, 0(t1)
  li a0, XENMEM_current_reservation
  call memory_op_self
  mv s1, a0                        /* pages before */
  li a0, XENMEM_decrease_reservation
  call reservation
  li t0, 1
  bne a0, t0, crash
  li a0, XENMEM_current_reservation
  call memory_op_self
  addi t0, s1, -1
  bne a0, t0, crash
  PV_PRINT gave, gave_end
  li s2, 0                         /* faults seen */
  .option push
  .option norvc
  ld t1, 0(s0)                     /* must fault: the page is not ours any more */
  .option pop
  li t0, 1
  bne s2, t0, crash
  li a0, XENMEM_populate_physmap
  call reservation
  li t0, 1
  bne a0, t0, crash
  ld t1, 0(s0)
  bnez t1, crash                   /* back, and zeroed */
  PV_PRINT back, back_end
  PV_SHUTDOWN SHUTDOWN_poweroff
crash:
  PV_SHUTDOWN SHUTDOWN_crash

/* HYPERVISOR_memory_op(a0, &reservation{ extents, 1, order 0, flags 0, DOMID_SELF }) */
reservation:
  la a1, res
  la t0, extents
  sd t0, XENMEM_RES_EXTENT_START(a1)
  li t0, 1
  sd t0, XENMEM_RES_NR_EXTENTS(a1)
  sw zero, XENMEM_RES_EXTENT_ORDER(a1)
  sw zero, XENMEM_RES_MEM_FLAGS(a1)
  li t0, DOMID_SELF
  sh t0, XENMEM_RES_DOMID(a1)
  j 1f
/* HYPERVISOR_memory_op(a0, &DOMID_SELF) */
memory_op_self:
  la a1, self
1:
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_memory_op
  ecall
  ret

  .align 2
on_trap:
  csrr t2, scause
  li t3, 5
  bne t2, t3, crash
  addi s2, s2, 1
  csrr t2, sepc
  addi t2, t2, 4                   /* skip the faulting (uncompressed) load */
  csrw sepc, t2
  sret

  .section .rodata
gave: .ascii "balloon: gave a page back\n"
gave_end:
back: .ascii "balloon: the page faulted, came back zeroed\n"
back_end:

  .section .data
  .align 3
self: .half DOMID_SELF
  .align 3
extents: .dword 0
res: .space XENMEM_RESERVATION_SIZE
  .align 12
victim: .space 4096

/* Probe (not an ISA test): event-channel sends. A paravirtual guest opens a loopback channel
   (EVTCHNOP_alloc_unbound for itself, then EVTCHNOP_bind_interdomain to that port), sends on
   one end, and sleeps (SCHEDOP_block, with supervisor external interrupts enabled in sie) until
   the other end is pending in shared_info. Then it closes the end it sent on and finds a send
   there refused with -EINVAL, as is a send on a port never bound, and one whose argument is not
   in RAM with -EFAULT. It powers off when every step went as it should and crashes otherwise. */
#include "include/pv.h"
  .section .text.init
  .globl _start
_start:
  ld s0, SI_SHARED_INFO(a2)        /* shared_info, guest-physical (paging is off) */
  li t0, 1 << 9                    /* sie.SEIE: an upcall ends SCHEDOP_block (sstatus.SIE stays off) */
  csrs sie, t0

  la a1, alloc                     /* alloc_unbound { dom, remote_dom = DOMID_SELF; port } */
  li t0, DOMID_SELF
  sh t0, 0(a1)
  sh t0, 2(a1)
  li a0, EVTCHNOP_alloc_unbound
  call evtchn_op
  bnez a0, crash
  lwu s1, 4(a1)                    /* s1: the end that listens */

  la a1, bind                      /* bind_interdomain { remote_dom = DOMID_SELF, remote_port = s1; local_port } */
  li t0, DOMID_SELF
  sh t0, 0(a1)
  sw s1, 4(a1)
  li a0, EVTCHNOP_bind_interdomain
  call evtchn_op
  bnez a0, crash
  lwu s2, 8(a1)                    /* s2: the end that sends */

  mv a0, s2
  call send
  bnez a0, crash

  srli t0, s1, 6                   /* the pending word and bit of s1 */
  slli t0, t0, 3
  add s3, s0, t0
  li t0, SH_EVTCHN_PENDING
  add s3, s3, t0
  andi t0, s1, 63
  li s4, 1
  sll s4, s4, t0
  li s5, 100                       /* sleeps allowed before giving up */
wait:
  ld t0, 0(s3)
  and t0, t0, s4
  bnez t0, delivered
  addi s5, s5, -1
  beqz s5, crash
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_sched_op
  li a0, SCHEDOP_block
  ecall
  j wait
delivered:
  PV_PRINT got, got_end

  la a1, port                      /* close { port = s2 } */
  sw s2, 0(a1)
  li a0, EVTCHNOP_close
  call evtchn_op
  bnez a0, crash
  mv a0, s2                        /* closed: refused */
  call send
  li t0, -XEN_EINVAL
  bne a0, t0, crash
  li a0, 4000                      /* never bound: refused */
  call send
  li t0, -XEN_EINVAL
  bne a0, t0, crash
  li a7, SBI_EXT_DOMUS             /* the argument is not in RAM: a fault */
  li a6, HYPERVISOR_event_channel_op
  li a0, EVTCHNOP_send
  li a1, 0x10
  ecall
  li t0, -XEN_EFAULT
  bne a0, t0, crash
  PV_PRINT refused, refused_end
  PV_SHUTDOWN SHUTDOWN_poweroff
crash:
  PV_SHUTDOWN SHUTDOWN_crash

/* EVTCHNOP_send on port a0; the result in a0. */
send:
  la a1, port
  sw a0, 0(a1)
  li a0, EVTCHNOP_send
/* HYPERVISOR_event_channel_op(a0, a1); the result in a0, a1 kept. */
evtchn_op:
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_event_channel_op
  ecall
  ret

  .section .rodata
got: .ascii "evtchn: the loopback send arrived\n"
got_end:
refused: .ascii "evtchn: sends on a closed port, an unbound port and outside RAM are refused\n"
refused_end:

  .section .data
  .align 3
alloc: .zero 8
bind: .zero 12
  .align 2
port: .zero 4

/* Probe (not an ISA test): a minimal paravirtual guest. Entered in S-mode with a2 = start_info,
   it prints through HYPERVISOR_console_io, checks the start_info magic, reads the Xen version,
   and shuts down through HYPERVISOR_sched_op(SCHEDOP_shutdown, poweroff). */
#include "include/pv.h"
  .section .text.init
  .globl _start
_start:
  mv s0, a2                       /* start_info */
  PV_PRINT msg, msg_end
  lbu t0, 0(s0)                   /* "xen-3.0-riscv64" */
  li t1, 'x'
  bne t0, t1, crash
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_xen_version
  li a0, XENVER_version
  ecall
  li t1, (4 << 16) | 17
  bne a0, t1, crash
  PV_SHUTDOWN SHUTDOWN_poweroff
crash:
  PV_SHUTDOWN SHUTDOWN_crash

  .section .rodata
msg: .ascii "hello from a paravirtual guest\n"
msg_end:

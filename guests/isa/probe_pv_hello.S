/* Probe (not an ISA test): a minimal paravirtual guest. Entered in S-mode with a2 = start_info,
   it prints through HYPERVISOR_console_io, checks the start_info magic, reads the Xen version,
   and shuts down through HYPERVISOR_sched_op(SCHEDOP_shutdown, poweroff). */
#include "../include/domus-abi.h"
  .section .text.init
  .globl _start
_start:
  mv s0, a2                       /* start_info */
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_console_io
  li a0, CONSOLEIO_write
  la a2, msg
  la a1, msg_end
  sub a1, a1, a2
  ecall
  lbu t0, 0(s0)                   /* "xen-3.0-riscv64" */
  li t1, 'x'
  bne t0, t1, crash
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_xen_version
  li a0, XENVER_version
  ecall
  li t1, (4 << 16) | 17
  bne a0, t1, crash
  la a1, reason
  li t0, SHUTDOWN_poweroff
  sw t0, 0(a1)
  j shutdown
crash:
  la a1, reason
  li t0, SHUTDOWN_crash
  sw t0, 0(a1)
shutdown:
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_sched_op
  li a0, SCHEDOP_shutdown
  ecall
1: j 1b

  .section .rodata
msg: .ascii "hello from a paravirtual guest\n"
msg_end:
  .section .data
  .align 2
reason: .word 0

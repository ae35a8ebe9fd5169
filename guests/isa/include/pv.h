/* Helpers for the paravirtual probes: hypercalls through ecall (a7 = SBI_EXT_DOMUS,
   a6 = the Xen hypercall number). */
#include "../../include/domus-abi.h"

  .pushsection .data
  .align 2
pv_shutdown_reason: .word 0       /* sched_shutdown { u32 reason } */
  .popsection

/* Print the bytes [start, end) through HYPERVISOR_console_io. */
.macro PV_PRINT start, end
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_console_io
  li a0, CONSOLEIO_write
  la a2, \start
  la a1, \end
  sub a1, a1, a2
  ecall
.endm

/* Shut down through HYPERVISOR_sched_op(SCHEDOP_shutdown) with a SHUTDOWN_* reason. */
.macro PV_SHUTDOWN reason
  la a1, pv_shutdown_reason
  li t0, \reason
  sw t0, 0(a1)
  li a7, SBI_EXT_DOMUS
  li a6, HYPERVISOR_sched_op
  li a0, SCHEDOP_shutdown
  ecall
1: j 1b
.endm

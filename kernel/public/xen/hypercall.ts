// Paravirtual guests call the hypervisor with `ecall` from S-mode: a7 = SBI_EXT_DOMUS (an SBI
// extension id in the experimental range), a6 = the Xen hypercall number, a0..a4 = arguments;
// the result (>= 0, or a negative errno) comes back in a0. The numbers are Xen's
// (xen/include/public/xen.h), so the guest side reads like any Xen PV code.

export const SBI_EXT_DOMUS: u32 = 0x08446f6d; // "\x08Dom": 0x08000000..0x08ffffff is experimental

export const HYPERVISOR_memory_op: u32 = 12;
export const HYPERVISOR_xen_version: u32 = 17;
export const HYPERVISOR_console_io: u32 = 18;
export const HYPERVISOR_grant_table_op: u32 = 20;
export const HYPERVISOR_sched_op: u32 = 29;
export const HYPERVISOR_event_channel_op: u32 = 32;

/** console_io */
export const CONSOLEIO_write: u32 = 0;
export const CONSOLEIO_read: u32 = 1;

/** sched_op */
export const SCHEDOP_yield: u32 = 0;
export const SCHEDOP_block: u32 = 1;
export const SCHEDOP_shutdown: u32 = 2;
export const SCHEDOP_poll: u32 = 3;

/** Shutdown reasons (sched_shutdown.reason), as on_poweroff / on_reboot / on_crash see them. */
export const SHUTDOWN_poweroff: u32 = 0;
export const SHUTDOWN_reboot: u32 = 1;
export const SHUTDOWN_suspend: u32 = 2;
export const SHUTDOWN_crash: u32 = 3;
export const SHUTDOWN_watchdog: u32 = 4;

/** xen_version */
export const XENVER_version: u32 = 0;
export const XENVER_extraversion: u32 = 1;

/** event_channel_op */
export const EVTCHNOP_bind_interdomain: u32 = 0;
export const EVTCHNOP_bind_virq: u32 = 1;
export const EVTCHNOP_close: u32 = 3;
export const EVTCHNOP_send: u32 = 4;
export const EVTCHNOP_status: u32 = 5;
export const EVTCHNOP_alloc_unbound: u32 = 6;
export const EVTCHNOP_unmask: u32 = 9;

/** grant_table_op */
export const GNTTABOP_map_grant_ref: u32 = 0;
export const GNTTABOP_unmap_grant_ref: u32 = 1;
export const GNTTABOP_setup_table: u32 = 2;
export const GNTTABOP_copy: u32 = 5;
export const GNTTABOP_query_size: u32 = 6;

/** memory_op */
export const XENMEM_increase_reservation: u32 = 0;
export const XENMEM_decrease_reservation: u32 = 1;
export const XENMEM_current_reservation: u32 = 3;
export const XENMEM_maximum_reservation: u32 = 4;
export const XENMEM_populate_physmap: u32 = 6;
/**
 * struct xen_memory_reservation (riscv64): extent_start, a guest-physical pointer to an array of
 * u64 gpfns (guest-physical address >> 12); nr_extents; extent_order (0: single pages);
 * mem_flags; domid. Returns the number of extents done.
 */
export const XENMEM_RES_EXTENT_START: u32 = 0; // u64
export const XENMEM_RES_NR_EXTENTS: u32 = 8; // u64
export const XENMEM_RES_EXTENT_ORDER: u32 = 16; // u32
export const XENMEM_RES_MEM_FLAGS: u32 = 20; // u32
export const XENMEM_RES_DOMID: u32 = 24; // u16
export const XENMEM_RESERVATION_SIZE: u32 = 32;

/** Errors, returned negated (Xen's xen/include/public/errno.h values). */
export const XEN_EPERM: i32 = 1;
export const XEN_ENOENT: i32 = 2;
export const XEN_ENOMEM: i32 = 12;
export const XEN_EFAULT: i32 = 14;
export const XEN_EBUSY: i32 = 16;
export const XEN_EINVAL: i32 = 22;
export const XEN_ENOSPC: i32 = 28;
export const XEN_ENOSYS: i32 = 38;

export const DOMID_SELF: u32 = 0x7ff0;

// The shared-info page (one per domain, guest-physical address in start_info): per-vCPU upcall
// state and the two-level event-channel bitmaps, laid out as Xen's struct shared_info for a
// 64-bit guest with our own vcpu_info size. The hypervisor raises the vCPU's supervisor external
// interrupt (SEIP) while evtchn_upcall_pending is set and evtchn_upcall_mask is clear.

export const MAX_VIRT_CPUS: u32 = 32;
export const VCPU_INFO_SIZE: u32 = 64;
export const VI_UPCALL_PENDING: u32 = 0; // u8
export const VI_UPCALL_MASK: u32 = 1; // u8
export const VI_PENDING_SEL: u32 = 8; // u64: which words of evtchn_pending to look at
export const VI_TIME: u32 = 16; // vcpu_time_info: version u32, pad, tsc_timestamp u64, system_time u64 (ns)

export const SH_VCPU_INFO: u32 = 0; // vcpu_info[MAX_VIRT_CPUS]
export const SH_EVTCHN_PENDING: u32 = 2048; // u64[64]: 4096 ports
export const SH_EVTCHN_MASK: u32 = 2560; // u64[64]
export const SH_WC_VERSION: u32 = 3072; // u32
export const SH_WC_SEC: u32 = 3076; // u32 wall clock at system time 0
export const SH_WC_NSEC: u32 = 3080; // u32
export const NR_EVENT_CHANNELS: u32 = 4096;

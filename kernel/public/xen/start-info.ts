// The start-info page a paravirtual guest receives (a2 at entry holds its guest-physical
// address): Xen's `struct start_info` for a 64-bit guest, byte offsets below.

export const START_INFO_MAGIC = "xen-3.0-riscv64";
export const SI_MAGIC: u32 = 0; // char[32]
export const SI_NR_PAGES: u32 = 32; // u64
export const SI_SHARED_INFO: u32 = 40; // u64 guest-physical address of the shared-info page
export const SI_FLAGS: u32 = 48; // u32
export const SI_STORE_MFN: u32 = 56; // u64 frame of the xenstore ring page
export const SI_STORE_EVTCHN: u32 = 64; // u32
export const SI_CONSOLE_MFN: u32 = 72; // u64 frame of the console ring page
export const SI_CONSOLE_EVTCHN: u32 = 80; // u32
export const SI_PT_BASE: u32 = 88; // u64 (unused: the guest builds its own page tables)
export const SI_NR_PT_FRAMES: u32 = 96;
export const SI_MFN_LIST: u32 = 104;
export const SI_MOD_START: u32 = 112; // u64 guest-physical address of the ramdisk
export const SI_MOD_LEN: u32 = 120; // u64
export const SI_CMD_LINE: u32 = 128; // char[MAX_GUEST_CMDLINE]
export const MAX_GUEST_CMDLINE: u32 = 1024;
export const SI_FIRST_P2M_PFN: u32 = 1152;
export const SI_NR_P2M_FRAMES: u32 = 1160;
export const START_INFO_SIZE: u32 = 1168;

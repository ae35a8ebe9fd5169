// The contract between the Wasm kernel and its Node host: where things live in the kernel's
// linear memory, and why a run slice returned. Compiled by AssemblyScript and by tsc alike.

export const WASM_PAGE_SIZE: u32 = 65536;

/** Per-hart state blocks (integer and float registers first, then CSRs); layout in kernel/public/hart-block.ts. */
export const HART_STATE_BASE: usize = 0x100000;
export const HART_STATE_SIZE: usize = 0x1000;

/** Byte queues between the UART and the host console (each IO_RING_SIZE bytes). */
export const UART_TX_RING: usize = 0x110000;
export const UART_RX_RING: usize = 0x111000;
export const IO_RING_SIZE: u32 = 0x1000;

/** Boot ROM contents, written by the host before reset. */
export const BOOTROM_HOST: usize = 0x112000;

/** virtio-mmio slot state blocks, VIRTIO_SLOT_STATE_SIZE bytes each; see kernel/devices/virtio-mmio.ts. */
export const VIRTIO_STATE_BASE: usize = 0x113000;
export const VIRTIO_SLOT_STATE_SIZE: usize = 0x400;

/**
 * Save area: the kernel copies the state it keeps in globals here (and back) for save/restore;
 * layout in kernel/public/save-area.ts.
 */
export const SAVE_AREA_BASE: usize = 0x115000;
export const SAVE_AREA_SIZE: usize = 0x1000;

/** The PLIC's registers and lines (kernel/devices/plic.ts). */
export const PLIC_STATE_BASE: usize = 0x116000;
export const PLIC_STATE_SIZE: usize = 0x1000;

/**
 * Event-channel sends the kernel posts for the host (kernel/cpu/posted-sends.ts), so that a
 * paravirtual guest's notification does not end its run: bit n of the POSTABLE bitmap is set by
 * the host while port n is bound (a send on it always succeeds); EVTCHNOP_send on such a port
 * sets bit n of the POSTED bitmap, counts it in the u32 at EVTCHN_POSTED_COUNT and returns 0, and
 * the host serves what was posted when the run ends (EXIT_EVTCHN, or whatever ended it first).
 * One bit per port (NR_EVENT_CHANNELS).
 */
export const EVTCHN_POSTABLE: usize = 0x117000;
export const EVTCHN_POSTED: usize = 0x117200;
export const EVTCHN_POSTED_COUNT: usize = 0x117400;

/**
 * A load from a page another domain's grant is mapped at (kernel/host/foreign-pages.ts): the
 * host's `foreignLoad` leaves the value here (a u64), since the import's result says only whether
 * the page was mapped.
 */
export const FOREIGN_LOAD_VALUE: usize = 0x117800;

/**
 * Software TLBs: per hart, per privilege mode (M, S, U), a fetch, a load and a store table of
 * TLB_ENTRIES direct-mapped entries {tag: u64 = page-aligned va, or all ones when empty;
 * addend: u64 = host - va}.
 */
export const TLB_BASE: usize = 0x200000;
export const TLB_ENTRIES: u32 = 1024;
export const TLB_ENTRY_SIZE: u32 = 16;
export const TLB_TABLE_SIZE: usize = 1024 * 16;
export const TLB_HART_SIZE: usize = 9 * 1024 * 16;

/**
 * Decoded-instruction cache: DECODE_CACHE_ENTRIES direct-mapped 16-byte records, one per
 * instruction halfword of host memory (index = host address / 2, modulo the entry count); see
 * kernel/cpu/decode.ts. DECODE_SCRATCH holds the record of an instruction fetched uncached.
 */
export const DECODE_SCRATCH: usize = 0x3ffff0;
export const DECODE_CACHE_BASE: usize = 0x400000;
export const DECODE_CACHE_ENTRIES: u32 = 0x40000;

/**
 * Lanes: a paravirtual domain's harts may run on several kernel instances at once (one pCPU
 * worker each), lane i taking the harts h with h % lanes == i (kernel/cpu/lanes.ts). Each lane
 * decodes into a cache (and scratch record) of its own, DECODE_LANE_STRIDE above lane 0's, since
 * a record filled by one thread could be read half-written by another.
 */
export const MAX_LANES: i32 = 2;
export const DECODE_LANE_STRIDE: usize = 0x800000;

/**
 * Log-dirty mode's bitmap: bit n set when the guest (or the kernel for it: PTE A/D bits) wrote
 * RAM page n (guest-physical RAM_BASE + n * 4096) since the host last cleared it. Room for 3 GiB.
 */
export const DIRTY_BITMAP_BASE: usize = 0x800000;
export const DIRTY_BITMAP_SIZE: usize = 0x18000;

/**
 * The P2M's holes: bit n set when RAM page n is not the domain's (it gave the page back with
 * XENMEM_decrease_reservation); the guest's accesses to it fault. Same size as the dirty bitmap.
 */
export const P2M_HOLES_BASE: usize = 0x820000;

/** Guest RAM starts here in linear memory and is contiguous. */
export const GUEST_RAM_HOST_BASE: usize = 0x1000000;

/** Why `run` returned. */
export const EXIT_BUDGET: i32 = 0; // slice used up; call again
export const EXIT_IDLE: i32 = 1; // every hart waits for an interrupt; `idleMs()` says when the next timer fires
export const EXIT_POWEROFF: i32 = 2; // finisher, SBI reset or HTIF: `exitCode()` holds the status
export const EXIT_RESET: i32 = 3; // the guest asked for a reboot
export const EXIT_NOTIFY: i32 = 4; // a virtio queue was notified: each slot state block says which (VS_NOTIFY_PENDING)
export const EXIT_CONSOLE: i32 = 5; // UART output waits (ring full, or slice ran a while): drain it, call again
export const EXIT_HYPERCALL: i32 = 6; // a paravirtual guest made a call the host serves; `exitCode()` is the hart
export const EXIT_EVTCHN: i32 = 7; // event-channel sends were posted a while ago (EVTCHN_POSTED): serve them, call again
export const EXIT_LANE_HOME: i32 = 8; // a lane's hart needs what only the machine's own instance may do (a device, another hart): its instruction runs again there

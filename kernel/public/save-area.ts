// Layout of the kernel's save area (SAVE_AREA_BASE): the state the kernel keeps in globals
// (Wasm globals and static arrays), copied here by the kernel's `saveState` and taken back by
// `restoreState`, so the host can save and restore a machine without the kernel allocating
// anything. Compiled by AssemblyScript and by tsc alike, which cannot share an import here, so
// the sizes are spelled out; save-area.test.ts checks them against board.ts.

export const SA_CURRENT_HART: usize = 0; // i32: the hart whose registers the kernel holds in globals
export const SA_LOG_DIRTY: usize = 4; // i32: log-dirty mode on
export const SA_MTIME: usize = 8; // u64: the CLINT's mtime, read when saved
export const SA_PV_SHARED_INFO: usize = 16; // u64: a paravirtual domain's shared-info page; 0 for HVM
export const SA_HTIF_TOHOST: usize = 24; // u64: 0 when the guest has no HTIF
export const SA_HTIF_FROMHOST: usize = 32; // u64
export const SA_RTC_OFFSET_NS: usize = 40; // i64: what the guest set, against the host's wall clock
export const SA_RTC_LATCHED_HIGH: usize = 48; // u32

/** 16550 UART registers, u32 each; RX_HEAD and RX_TAIL count bytes through UART_RX_RING. */
export const SA_UART_IER: usize = 52;
export const SA_UART_LCR: usize = 56;
export const SA_UART_MCR: usize = 60;
export const SA_UART_SCR: usize = 64;
export const SA_UART_FCR: usize = 68;
export const SA_UART_DLL: usize = 72;
export const SA_UART_DLM: usize = 76;
export const SA_UART_THRE_PENDING: usize = 80;
export const SA_UART_RX_HEAD: usize = 84;
export const SA_UART_RX_TAIL: usize = 88;

/**
 * PLIC, u32 each: priorities by source, the sources in service (claimed, not completed) by word,
 * enable words by context, thresholds by context. Levels and pending bits are not saved: the
 * devices drive their lines again on restore, and pending = level and not claimed.
 */
export const SA_PLIC_PRIORITY: usize = 128; // PLIC_SOURCES (96) words
export const SA_PLIC_CLAIMED: usize = 512; // PLIC_WORDS (3) words
export const SA_PLIC_ENABLE: usize = 528; // PLIC_WORDS x PLIC_CONTEXTS (48) words
export const SA_PLIC_THRESHOLD: usize = 720; // PLIC_CONTEXTS (16) words
export const SA_END: usize = 784;

/**
 * The hand-off (`park`/`unpark`): the rest of what an instance of the kernel keeps in globals,
 * exactly as it is, so that another instance on the same memory (a pCPU worker's) goes on with
 * the machine. Not part of a saved state.
 */
export const SA_HARTS: usize = 784; // i32
export const SA_P2M_HOLES: usize = 788; // i32: the P2M has holes
export const SA_RAM_BYTES: usize = 792; // u64
export const SA_CLINT_OFFSET: usize = 800; // i64: mtime less the host's ticks
export const SA_CLOCK_TICKS: usize = 808; // i64: the host's ticks last read (mtime never goes back)
export const SA_UART_TX_LEN: usize = 816; // u32: bytes waiting in UART_TX_RING
export const SA_EXIT_CODE: usize = 820; // i32: what exitCode() gives after the slice
export const SA_HANDOFF_END: usize = 824;

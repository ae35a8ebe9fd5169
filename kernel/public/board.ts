// The guest-visible board: QEMU's `virt` memory map, so the same firmware runs on both.
// Compiled by AssemblyScript (kernel) and tsc (host); see as-types.d.ts for the annotations.

export const BOOTROM_BASE: u32 = 0x1000;
export const BOOTROM_SIZE: u32 = 0x1000;
export const FINISHER_BASE: u32 = 0x100000;
export const FINISHER_SIZE: u32 = 0x1000;
export const RTC_BASE: u32 = 0x101000;
export const RTC_SIZE: u32 = 0x1000;
export const CLINT_BASE: u32 = 0x2000000;
export const CLINT_SIZE: u32 = 0x10000;
export const PLIC_BASE: u32 = 0xc000000;
export const PLIC_SIZE: u32 = 0x600000;
export const UART_BASE: u32 = 0x10000000;
export const UART_SIZE: u32 = 0x100;
export const VIRTIO_BASE: u32 = 0x10001000;
export const VIRTIO_STRIDE: u32 = 0x1000;
export const VIRTIO_SLOTS: i32 = 8;
export const RAM_BASE: u64 = 0x80000000;

/** PLIC source numbers. */
export const VIRTIO_IRQ_BASE: u32 = 1; // slot n raises source 1 + n
export const UART_IRQ: u32 = 10;
export const RTC_IRQ: u32 = 11;
export const PLIC_SOURCES: i32 = 96;

/** mtime ticks per second (CLINT and the `time` CSR). */
export const TIMEBASE_HZ: u32 = 10000000;
export const UART_CLOCK_HZ: u32 = 3686400;

/** SiFive test finisher commands (written to FINISHER_BASE). */
export const FINISHER_FAIL: u32 = 0x3333;
export const FINISHER_PASS: u32 = 0x5555;
export const FINISHER_RESET: u32 = 0x7777;

/** Where the firmware (bios) and a kernel are loaded, as QEMU does for a 64-bit virt board. */
export const KERNEL_OFFSET_WITH_BIOS: u32 = 0x200000;
export const MAX_HARTS: i32 = 8;
/** PLIC enable and pending words (32 sources each), and contexts: M then S for each hart. */
export const PLIC_WORDS: i32 = PLIC_SOURCES / 32;
export const PLIC_CONTEXTS: i32 = 2 * MAX_HARTS;

// Layout of one hart state block in kernel memory (at HART_STATE_BASE + hart * HART_STATE_SIZE).
// The kernel keeps the running hart's registers in globals and moves them here when it switches
// harts (kernel/cpu/state.ts); the host reads and writes them here for hypercalls and for
// save/restore. Compiled by AssemblyScript and by tsc alike.

export const HB_X: usize = 0; // x0..x31, u64 each
export const HB_F: usize = 256; // f0..f31, u64 each (NaN-boxed singles)
export const HB_PC: usize = 512; // u64
export const HB_PRIV: usize = 520; // i32: 0 = U, 1 = S, 3 = M
export const HB_WAITING: usize = 524; // i32: 1 while in WFI (or SCHEDOP_block)
export const HB_INSTRET: usize = 528; // u64
export const HB_RESERVATION: usize = 536; // u64: the LR/SC reserved address, or all ones

/** The CSRs the kernel keeps per hart, u64 each. */
export const HB_MSTATUS: usize = 544;
export const HB_MEDELEG: usize = 552;
export const HB_MIDELEG: usize = 560;
export const HB_MIE: usize = 568;
export const HB_MIP: usize = 576; // the software-writable bits; device lines are at HB_LINES
export const HB_MTVEC: usize = 584;
export const HB_MSCRATCH: usize = 592;
export const HB_MEPC: usize = 600;
export const HB_MCAUSE: usize = 608;
export const HB_MTVAL: usize = 616;
export const HB_MCOUNTEREN: usize = 624;
export const HB_MENVCFG: usize = 632;
export const HB_STVEC: usize = 640;
export const HB_SSCRATCH: usize = 648;
export const HB_SEPC: usize = 656;
export const HB_SCAUSE: usize = 664;
export const HB_STVAL: usize = 672;
export const HB_SCOUNTEREN: usize = 680;
export const HB_SENVCFG: usize = 688;
export const HB_SATP: usize = 696;
export const HB_STIMECMP: usize = 704;
export const HB_FRM: usize = 720; // u32
export const HB_FFLAGS: usize = 724; // u32

/** Decoded instructions write x0 here, so the interpreter needs no rd != 0 test. */
export const HB_X0_SINK: usize = 1016;
export const HB_PMPCFG: usize = 1024; // pmpcfg0, 2, .. 14: 8 x u64
export const HB_PMPADDR: usize = 1088; // pmpaddr0..63: 64 x u64
export const PMPCFG_REGS: i32 = 8;
export const PMPADDR_REGS: i32 = 64;
export const HB_LINES: usize = 2048; // u64: interrupt lines devices drive (MSIP from the CLINT, MEIP/SEIP from the PLIC)
export const HB_MTIMECMP: usize = 2056; // u64: the CLINT's compare register for this hart
export const HB_STOPPED: usize = 2064; // i32: 1 when stopped (SBI HSM): it runs and takes interrupts no more

// Privileged-architecture bit positions and cause codes (RISC-V privileged spec v1.12).

export const MSTATUS_SIE: u64 = 1 << 1;
export const MSTATUS_MIE: u64 = 1 << 3;
export const MSTATUS_SPIE: u64 = 1 << 5;
export const MSTATUS_MPIE: u64 = 1 << 7;
export const MSTATUS_SPP: u64 = 1 << 8;
export const MSTATUS_MPP_SHIFT: u64 = 11;
export const MSTATUS_MPP: u64 = 3 << 11;
export const MSTATUS_FS: u64 = 3 << 13;
export const MSTATUS_FS_DIRTY: u64 = 3 << 13;
export const MSTATUS_MPRV: u64 = 1 << 17;
export const MSTATUS_SUM: u64 = 1 << 18;
export const MSTATUS_MXR: u64 = 1 << 19;
export const MSTATUS_TVM: u64 = 1 << 20;
export const MSTATUS_TW: u64 = 1 << 21;
export const MSTATUS_TSR: u64 = 1 << 22;
export const MSTATUS_UXL_SXL: u64 = (<u64>2 << 32) | (<u64>2 << 34); // XLEN 64 for U and S
export const MSTATUS_SD: u64 = <u64>1 << 63;

export const MSTATUS_WRITABLE: u64 =
  MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP |
  MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
export const SSTATUS_MASK: u64 =
  MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;

export const IRQ_SSI: u32 = 1;
export const IRQ_MSI: u32 = 3;
export const IRQ_STI: u32 = 5;
export const IRQ_MTI: u32 = 7;
export const IRQ_SEI: u32 = 9;
export const IRQ_MEI: u32 = 11;
export const MIP_SSIP: u64 = 1 << IRQ_SSI;
export const MIP_MSIP: u64 = 1 << IRQ_MSI;
export const MIP_STIP: u64 = 1 << IRQ_STI;
export const MIP_MTIP: u64 = 1 << IRQ_MTI;
export const MIP_SEIP: u64 = 1 << IRQ_SEI;
export const MIP_MEIP: u64 = 1 << IRQ_MEI;
export const S_INTERRUPTS: u64 = MIP_SSIP | MIP_STIP | MIP_SEIP;
export const ALL_INTERRUPTS: u64 = S_INTERRUPTS | MIP_MSIP | MIP_MTIP | MIP_MEIP;

export const CAUSE_MISALIGNED_FETCH: u64 = 0;
export const CAUSE_FETCH_ACCESS: u64 = 1;
export const CAUSE_ILLEGAL_INSTRUCTION: u64 = 2;
export const CAUSE_BREAKPOINT: u64 = 3;
export const CAUSE_MISALIGNED_LOAD: u64 = 4;
export const CAUSE_LOAD_ACCESS: u64 = 5;
export const CAUSE_MISALIGNED_STORE: u64 = 6;
export const CAUSE_STORE_ACCESS: u64 = 7;
export const CAUSE_USER_ECALL: u64 = 8;
export const CAUSE_SUPERVISOR_ECALL: u64 = 9;
export const CAUSE_MACHINE_ECALL: u64 = 11;
export const CAUSE_FETCH_PAGE_FAULT: u64 = 12;
export const CAUSE_LOAD_PAGE_FAULT: u64 = 13;
export const CAUSE_STORE_PAGE_FAULT: u64 = 15;
export const CAUSE_INTERRUPT: u64 = <u64>1 << 63;
export const DELEGABLE_EXCEPTIONS: u64 = 0xb3ff;

export const MENVCFG_FIOM: u64 = 1;
export const MENVCFG_STCE: u64 = <u64>1 << 63;

export const SATP_MODE_BARE: u64 = 0;
export const SATP_MODE_SV39: u64 = 8;
export const SATP_MODE_SV48: u64 = 9;

/** misa: MXL=64 and the extensions I, M, A, F, D, C, S, U. */
export const MISA: u64 = (<u64>2 << 62) | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) |
  (1 << 12) | (1 << 18) | (1 << 20);

// The running hart's architectural state. Static fields compile to Wasm globals, which V8 keeps
// in registers across the interpreter loop; the register files live in linear memory because they
// are indexed. When the kernel switches harts, `saveHart`/`loadHart` move these to and from the
// hart's state block (layout in kernel/public/kernel-abi.ts).

import { HART_STATE_BASE, HART_STATE_SIZE } from "../public/kernel-abi";

export const PRIV_U: i32 = 0;
export const PRIV_S: i32 = 1;
export const PRIV_M: i32 = 3;

export class CPU {
  static hart: i32 = 0;
  /** Base of this hart's state block: x0..x31 at +0, f0..f31 at +256. */
  static xr: usize = HART_STATE_BASE;
  static fr: usize = HART_STATE_BASE + 256;
  static pc: u64 = 0;
  static priv: i32 = PRIV_M;
  static waiting: bool = false; // in WFI
  static instret: u64 = 0;
  static reservation: u64 = 0xffffffffffffffff; // LR/SC reserved address, or all-ones

  static mstatus: u64 = 0;
  static medeleg: u64 = 0;
  static mideleg: u64 = 0;
  static mie: u64 = 0;
  static mip: u64 = 0; // software-writable bits; device lines are in hartLines()
  static mtvec: u64 = 0;
  static mscratch: u64 = 0;
  static mepc: u64 = 0;
  static mcause: u64 = 0;
  static mtval: u64 = 0;
  static mcounteren: u64 = 0;
  static menvcfg: u64 = 0;
  static stvec: u64 = 0;
  static sscratch: u64 = 0;
  static sepc: u64 = 0;
  static scause: u64 = 0;
  static stval: u64 = 0;
  static scounteren: u64 = 0;
  static senvcfg: u64 = 0;
  static satp: u64 = 0;
  static stimecmp: u64 = 0xffffffffffffffff;
  static frm: u32 = 0;
  static fflags: u32 = 0;
}

/** Offsets of the saved CSRs inside a hart state block (after the 512 bytes of registers). */
const S_PC = 512;
const S_PRIV = 520;
const S_WAITING = 524;
const S_INSTRET = 528;
const S_RES = 536;
const S_CSR = 544; // 22 u64 CSRs follow in the order of saveHart
/** Decoded instructions write x0 here, so the interpreter needs no rd != 0 test. */
export const S_X0_SINK = 1016;
export const S_PMP = 1024; // pmpcfg (8 x u64) then pmpaddr (64 x u64)
export const S_LINES = 2048; // device interrupt lines (u64), written by CLINT and PLIC
export const S_MTIMECMP = 2056; // the CLINT's compare register for this hart
const S_STOPPED = 2064; // i32: the hart is stopped (SBI HSM): it runs and takes interrupts no more

export function hartBlock(h: i32): usize {
  return HART_STATE_BASE + <usize>h * HART_STATE_SIZE;
}

/** Interrupt-pending bits that devices drive for hart h (MSIP, MEIP, SEIP). */
@inline export function hartLines(h: i32): u64 {
  return load<u64>(hartBlock(h) + S_LINES);
}

@inline export function mtimecmpOf(h: i32): u64 {
  return load<u64>(hartBlock(h) + S_MTIMECMP);
}

export function setMtimecmp(h: i32, v: u64): void {
  store<u64>(hartBlock(h) + S_MTIMECMP, v);
}

export function setHartLine(h: i32, bit: u64, on: bool): void {
  const p = hartBlock(h) + S_LINES;
  const v = load<u64>(p);
  store<u64>(p, on ? v | bit : v & ~bit);
}

export function saveHart(): void {
  const b = hartBlock(CPU.hart);
  store<u64>(b + S_PC, CPU.pc);
  store<i32>(b + S_PRIV, CPU.priv);
  store<i32>(b + S_WAITING, CPU.waiting ? 1 : 0);
  store<u64>(b + S_INSTRET, CPU.instret);
  store<u64>(b + S_RES, CPU.reservation);
  const c = b + S_CSR;
  store<u64>(c, CPU.mstatus, 0);
  store<u64>(c, CPU.medeleg, 8);
  store<u64>(c, CPU.mideleg, 16);
  store<u64>(c, CPU.mie, 24);
  store<u64>(c, CPU.mip, 32);
  store<u64>(c, CPU.mtvec, 40);
  store<u64>(c, CPU.mscratch, 48);
  store<u64>(c, CPU.mepc, 56);
  store<u64>(c, CPU.mcause, 64);
  store<u64>(c, CPU.mtval, 72);
  store<u64>(c, CPU.mcounteren, 80);
  store<u64>(c, CPU.menvcfg, 88);
  store<u64>(c, CPU.stvec, 96);
  store<u64>(c, CPU.sscratch, 104);
  store<u64>(c, CPU.sepc, 112);
  store<u64>(c, CPU.scause, 120);
  store<u64>(c, CPU.stval, 128);
  store<u64>(c, CPU.scounteren, 136);
  store<u64>(c, CPU.senvcfg, 144);
  store<u64>(c, CPU.satp, 152);
  store<u64>(c, CPU.stimecmp, 160);
  store<u32>(c, CPU.frm, 176);
  store<u32>(c, CPU.fflags, 180);
}

export function loadHart(h: i32): void {
  const b = hartBlock(h);
  CPU.hart = h;
  CPU.xr = b;
  CPU.fr = b + 256;
  CPU.pc = load<u64>(b + S_PC);
  CPU.priv = load<i32>(b + S_PRIV);
  CPU.waiting = load<i32>(b + S_WAITING) != 0;
  CPU.instret = load<u64>(b + S_INSTRET);
  CPU.reservation = load<u64>(b + S_RES);
  const c = b + S_CSR;
  CPU.mstatus = load<u64>(c, 0);
  CPU.medeleg = load<u64>(c, 8);
  CPU.mideleg = load<u64>(c, 16);
  CPU.mie = load<u64>(c, 24);
  CPU.mip = load<u64>(c, 32);
  CPU.mtvec = load<u64>(c, 40);
  CPU.mscratch = load<u64>(c, 48);
  CPU.mepc = load<u64>(c, 56);
  CPU.mcause = load<u64>(c, 64);
  CPU.mtval = load<u64>(c, 72);
  CPU.mcounteren = load<u64>(c, 80);
  CPU.menvcfg = load<u64>(c, 88);
  CPU.stvec = load<u64>(c, 96);
  CPU.sscratch = load<u64>(c, 104);
  CPU.sepc = load<u64>(c, 112);
  CPU.scause = load<u64>(c, 120);
  CPU.stval = load<u64>(c, 128);
  CPU.scounteren = load<u64>(c, 136);
  CPU.senvcfg = load<u64>(c, 144);
  CPU.satp = load<u64>(c, 152);
  CPU.stimecmp = load<u64>(c, 160);
  CPU.frm = load<u32>(c, 176);
  CPU.fflags = load<u32>(c, 180);
}

/** Integer register access (x0 reads 0; writes to it are dropped by the caller's rd check). */
@inline export function getX(r: u32): u64 {
  return load<u64>(CPU.xr + (<usize>r << 3));
}
@inline export function setX(r: u32, v: u64): void {
  if (r != 0) store<u64>(CPU.xr + (<usize>r << 3), v);
}
@inline export function getF(r: u32): u64 {
  return load<u64>(CPU.fr + (<usize>r << 3));
}
@inline export function setF(r: u32, v: u64): void {
  store<u64>(CPU.fr + (<usize>r << 3), v);
}

/** Set software-writable mip bits of a hart that is not loaded (an IPI from another hart). */
export function raiseSavedMip(h: i32, bits: u64): void {
  const p = hartBlock(h) + S_CSR + 32;
  store<u64>(p, load<u64>(p) | bits);
}

@inline export function hartStopped(h: i32): bool {
  return load<i32>(hartBlock(h) + S_STOPPED) != 0;
}

export function setHartStopped(h: i32, stopped: bool): void {
  store<i32>(hartBlock(h) + S_STOPPED, stopped ? 1 : 0);
}

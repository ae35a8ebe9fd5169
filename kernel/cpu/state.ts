// The running hart's architectural state. Static fields compile to Wasm globals, which V8 keeps
// in registers across the interpreter loop; the register files live in linear memory because they
// are indexed. When the kernel switches harts, `saveHart`/`loadHart` move these to and from the
// hart's state block (layout in kernel/public/hart-block.ts).

import { HART_STATE_BASE, HART_STATE_SIZE } from "../public/kernel-abi";
import {
  HB_F, HB_PC, HB_PRIV, HB_WAITING, HB_INSTRET, HB_RESERVATION, HB_MSTATUS, HB_MEDELEG, HB_MIDELEG, HB_MIE, HB_MIP,
  HB_MTVEC, HB_MSCRATCH, HB_MEPC, HB_MCAUSE, HB_MTVAL, HB_MCOUNTEREN, HB_MENVCFG, HB_STVEC, HB_SSCRATCH, HB_SEPC,
  HB_SCAUSE, HB_STVAL, HB_SCOUNTEREN, HB_SENVCFG, HB_SATP, HB_STIMECMP, HB_FRM, HB_FFLAGS, HB_LINES, HB_MTIMECMP,
  HB_STOPPED,
} from "../public/hart-block";

export const PRIV_U: i32 = 0;
export const PRIV_S: i32 = 1;
export const PRIV_M: i32 = 3;

export class CPU {
  static hart: i32 = 0;
  /** Base of this hart's state block: x0..x31 at +0, f0..f31 at +256. */
  static xr: usize = HART_STATE_BASE;
  static fr: usize = HART_STATE_BASE + HB_F;
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

export function hartBlock(h: i32): usize {
  return HART_STATE_BASE + <usize>h * HART_STATE_SIZE;
}

/** Interrupt-pending bits that devices drive for hart h (MSIP, MEIP, SEIP). */
@inline export function hartLines(h: i32): u64 {
  return load<u64>(hartBlock(h) + HB_LINES);
}

@inline export function mtimecmpOf(h: i32): u64 {
  return load<u64>(hartBlock(h) + HB_MTIMECMP);
}

export function setMtimecmp(h: i32, v: u64): void {
  store<u64>(hartBlock(h) + HB_MTIMECMP, v);
}

export function setHartLine(h: i32, bit: u64, on: bool): void {
  const p = hartBlock(h) + HB_LINES;
  const v = load<u64>(p);
  store<u64>(p, on ? v | bit : v & ~bit);
}

export function saveHart(): void {
  const b = hartBlock(CPU.hart);
  store<u64>(b, CPU.pc, HB_PC);
  store<i32>(b, CPU.priv, HB_PRIV);
  store<i32>(b, CPU.waiting ? 1 : 0, HB_WAITING);
  store<u64>(b, CPU.instret, HB_INSTRET);
  store<u64>(b, CPU.reservation, HB_RESERVATION);
  store<u64>(b, CPU.mstatus, HB_MSTATUS);
  store<u64>(b, CPU.medeleg, HB_MEDELEG);
  store<u64>(b, CPU.mideleg, HB_MIDELEG);
  store<u64>(b, CPU.mie, HB_MIE);
  store<u64>(b, CPU.mip, HB_MIP);
  store<u64>(b, CPU.mtvec, HB_MTVEC);
  store<u64>(b, CPU.mscratch, HB_MSCRATCH);
  store<u64>(b, CPU.mepc, HB_MEPC);
  store<u64>(b, CPU.mcause, HB_MCAUSE);
  store<u64>(b, CPU.mtval, HB_MTVAL);
  store<u64>(b, CPU.mcounteren, HB_MCOUNTEREN);
  store<u64>(b, CPU.menvcfg, HB_MENVCFG);
  store<u64>(b, CPU.stvec, HB_STVEC);
  store<u64>(b, CPU.sscratch, HB_SSCRATCH);
  store<u64>(b, CPU.sepc, HB_SEPC);
  store<u64>(b, CPU.scause, HB_SCAUSE);
  store<u64>(b, CPU.stval, HB_STVAL);
  store<u64>(b, CPU.scounteren, HB_SCOUNTEREN);
  store<u64>(b, CPU.senvcfg, HB_SENVCFG);
  store<u64>(b, CPU.satp, HB_SATP);
  store<u64>(b, CPU.stimecmp, HB_STIMECMP);
  store<u32>(b, CPU.frm, HB_FRM);
  store<u32>(b, CPU.fflags, HB_FFLAGS);
}

export function loadHart(h: i32): void {
  const b = hartBlock(h);
  CPU.hart = h;
  CPU.xr = b;
  CPU.fr = b + HB_F;
  CPU.pc = load<u64>(b, HB_PC);
  CPU.priv = load<i32>(b, HB_PRIV);
  CPU.waiting = load<i32>(b, HB_WAITING) != 0;
  CPU.instret = load<u64>(b, HB_INSTRET);
  CPU.reservation = load<u64>(b, HB_RESERVATION);
  CPU.mstatus = load<u64>(b, HB_MSTATUS);
  CPU.medeleg = load<u64>(b, HB_MEDELEG);
  CPU.mideleg = load<u64>(b, HB_MIDELEG);
  CPU.mie = load<u64>(b, HB_MIE);
  CPU.mip = load<u64>(b, HB_MIP);
  CPU.mtvec = load<u64>(b, HB_MTVEC);
  CPU.mscratch = load<u64>(b, HB_MSCRATCH);
  CPU.mepc = load<u64>(b, HB_MEPC);
  CPU.mcause = load<u64>(b, HB_MCAUSE);
  CPU.mtval = load<u64>(b, HB_MTVAL);
  CPU.mcounteren = load<u64>(b, HB_MCOUNTEREN);
  CPU.menvcfg = load<u64>(b, HB_MENVCFG);
  CPU.stvec = load<u64>(b, HB_STVEC);
  CPU.sscratch = load<u64>(b, HB_SSCRATCH);
  CPU.sepc = load<u64>(b, HB_SEPC);
  CPU.scause = load<u64>(b, HB_SCAUSE);
  CPU.stval = load<u64>(b, HB_STVAL);
  CPU.scounteren = load<u64>(b, HB_SCOUNTEREN);
  CPU.senvcfg = load<u64>(b, HB_SENVCFG);
  CPU.satp = load<u64>(b, HB_SATP);
  CPU.stimecmp = load<u64>(b, HB_STIMECMP);
  CPU.frm = load<u32>(b, HB_FRM);
  CPU.fflags = load<u32>(b, HB_FFLAGS);
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
  const p = hartBlock(h) + HB_MIP;
  store<u64>(p, load<u64>(p) | bits);
}

@inline export function hartStopped(h: i32): bool {
  return load<i32>(hartBlock(h) + HB_STOPPED) != 0;
}

export function setHartStopped(h: i32, stopped: bool): void {
  store<i32>(hartBlock(h) + HB_STOPPED, stopped ? 1 : 0);
}

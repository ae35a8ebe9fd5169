// The Wasm kernel's part of a machine state (kernel/public/machine-state.ts): the hart state
// blocks, the save area the kernel fills from its globals (kernel/public/save-area.ts), the boot
// ROM and the UART's receive FIFO, read out of its linear memory and written back.

import {
  BOOTROM_HOST, HART_STATE_BASE, HART_STATE_SIZE, IO_RING_SIZE, SAVE_AREA_BASE, SAVE_AREA_SIZE, UART_RX_RING,
} from "../public/kernel-abi.js";
import {
  HB_F, HB_FFLAGS, HB_FRM, HB_INSTRET, HB_LINES, HB_MCAUSE, HB_MCOUNTEREN, HB_MEDELEG, HB_MENVCFG, HB_MEPC, HB_MIDELEG,
  HB_MIE, HB_MIP, HB_MSCRATCH, HB_MSTATUS, HB_MTIMECMP, HB_MTVAL, HB_MTVEC, HB_PC, HB_PMPADDR, HB_PMPCFG, HB_PRIV,
  HB_RESERVATION, HB_SATP, HB_SCAUSE, HB_SCOUNTEREN, HB_SENVCFG, HB_SEPC, HB_SSCRATCH, HB_STIMECMP, HB_STOPPED,
  HB_STVAL, HB_STVEC, HB_WAITING, HB_X, PMPADDR_REGS, PMPCFG_REGS,
} from "../public/hart-block.js";
import {
  SA_CURRENT_HART, SA_HTIF_FROMHOST, SA_HTIF_TOHOST, SA_LOG_DIRTY, SA_MTIME, SA_PLIC_CLAIMED, SA_PLIC_ENABLE,
  SA_PLIC_PRIORITY, SA_PLIC_THRESHOLD, SA_PV_SHARED_INFO, SA_RTC_LATCHED_HIGH, SA_RTC_OFFSET_NS, SA_UART_DLL,
  SA_UART_DLM, SA_UART_FCR, SA_UART_IER, SA_UART_LCR, SA_UART_MCR, SA_UART_RX_HEAD, SA_UART_RX_TAIL, SA_UART_SCR,
  SA_UART_THRE_PENDING,
} from "../public/save-area.js";
import { BOOTROM_SIZE, PLIC_CONTEXTS, PLIC_SOURCES, PLIC_WORDS } from "../public/board.js";
import { HART_CSRS, type HartCsr, type HartState, type MachineState } from "../public/machine-state.js";
import type { WasmKernel } from "./wasm-kernel.js";

/** What the kernel holds, of a machine state. */
export type KernelState = Pick<MachineState, "harts" | "currentHart" | "clint" | "logDirty" | "bootRom" | "uart" | "plic" | "rtc" | "htif">;

/** mip's machine software interrupt bit: the CLINT's MSIP register drives it. */
const MIP_MSIP = 1n << 3n;
const NO_RESERVATION = (1n << 64n) - 1n;

const CSR_OFFSETS: Readonly<Record<HartCsr, number>> = {
  mstatus: HB_MSTATUS, medeleg: HB_MEDELEG, mideleg: HB_MIDELEG, mie: HB_MIE, mip: HB_MIP, mtvec: HB_MTVEC,
  mscratch: HB_MSCRATCH, mepc: HB_MEPC, mcause: HB_MCAUSE, mtval: HB_MTVAL, mcounteren: HB_MCOUNTEREN,
  menvcfg: HB_MENVCFG, stvec: HB_STVEC, sscratch: HB_SSCRATCH, sepc: HB_SEPC, scause: HB_SCAUSE, stval: HB_STVAL,
  scounteren: HB_SCOUNTEREN, senvcfg: HB_SENVCFG, satp: HB_SATP, stimecmp: HB_STIMECMP,
};

function view(kernel: WasmKernel, at: number, length: number): DataView {
  return new DataView(kernel.memory.buffer, at, length);
}

function hartBlock(kernel: WasmKernel, h: number): DataView {
  return view(kernel, HART_STATE_BASE + h * HART_STATE_SIZE, HART_STATE_SIZE);
}

/**
 * Whether hart `h` is stopped (SBI HSM). Its block is in memory, so this reads true also while a
 * slice of the machine runs on another instance of the kernel.
 */
export function hartStopped(kernel: WasmKernel, h: number): boolean {
  return hartBlock(kernel, h).getInt32(HB_STOPPED, true) !== 0;
}

const u64s = (v: DataView, at: number, n: number): bigint[] =>
  Array.from({ length: n }, (_, i) => v.getBigUint64(at + 8 * i, true));
const u32s = (v: DataView, at: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => v.getUint32(at + 4 * i, true));

function readHart(b: DataView): HartState {
  const csr = Object.fromEntries(HART_CSRS.map((name) => [name, b.getBigUint64(CSR_OFFSETS[name], true)]));
  return {
    x: u64s(b, HB_X, 32),
    f: u64s(b, HB_F, 32),
    pc: b.getBigUint64(HB_PC, true),
    priv: b.getInt32(HB_PRIV, true),
    waiting: b.getInt32(HB_WAITING, true) !== 0,
    stopped: b.getInt32(HB_STOPPED, true) !== 0,
    instret: b.getBigUint64(HB_INSTRET, true),
    csr: csr as Record<HartCsr, bigint>,
    frm: b.getUint32(HB_FRM, true),
    fflags: b.getUint32(HB_FFLAGS, true),
    pmpcfg: u64s(b, HB_PMPCFG, PMPCFG_REGS),
    pmpaddr: u64s(b, HB_PMPADDR, PMPADDR_REGS),
    mtimecmp: b.getBigUint64(HB_MTIMECMP, true),
    msip: (b.getBigUint64(HB_LINES, true) & MIP_MSIP) !== 0n,
  };
}

/** Between slices: the kernel's state, copied out (the kernel first moves its globals to the save area). */
export function readKernelState(kernel: WasmKernel, harts: number): KernelState {
  kernel.exports.saveState();
  const a = view(kernel, SAVE_AREA_BASE, SAVE_AREA_SIZE);
  const head = a.getUint32(SA_UART_RX_HEAD, true);
  const waiting = (a.getUint32(SA_UART_RX_TAIL, true) - head) >>> 0;
  const rx = new Uint8Array(waiting);
  const ring = new Uint8Array(kernel.memory.buffer, UART_RX_RING, IO_RING_SIZE);
  for (let i = 0; i < waiting; i++) rx[i] = ring[(head + i) % IO_RING_SIZE];
  return {
    harts: Array.from({ length: harts }, (_, h) => readHart(hartBlock(kernel, h))),
    currentHart: a.getInt32(SA_CURRENT_HART, true),
    clint: { mtime: a.getBigUint64(SA_MTIME, true) },
    logDirty: a.getInt32(SA_LOG_DIRTY, true) !== 0,
    bootRom: new Uint8Array(kernel.memory.buffer, BOOTROM_HOST, BOOTROM_SIZE).slice(),
    uart: {
      ier: a.getUint32(SA_UART_IER, true),
      lcr: a.getUint32(SA_UART_LCR, true),
      mcr: a.getUint32(SA_UART_MCR, true),
      scr: a.getUint32(SA_UART_SCR, true),
      fcr: a.getUint32(SA_UART_FCR, true),
      dll: a.getUint32(SA_UART_DLL, true),
      dlm: a.getUint32(SA_UART_DLM, true),
      thrEmptyPending: a.getUint32(SA_UART_THRE_PENDING, true) !== 0,
      rx,
    },
    plic: {
      priority: u32s(a, SA_PLIC_PRIORITY, PLIC_SOURCES),
      claimed: u32s(a, SA_PLIC_CLAIMED, PLIC_WORDS),
      enable: u32s(a, SA_PLIC_ENABLE, PLIC_WORDS * PLIC_CONTEXTS),
      threshold: u32s(a, SA_PLIC_THRESHOLD, PLIC_CONTEXTS),
    },
    rtc: { offsetNs: a.getBigInt64(SA_RTC_OFFSET_NS, true), latchedHigh: a.getUint32(SA_RTC_LATCHED_HIGH, true) },
    htif: { tohost: a.getBigUint64(SA_HTIF_TOHOST, true), fromhost: a.getBigUint64(SA_HTIF_FROMHOST, true) },
  };
}

function writeHart(b: DataView, s: HartState): void {
  s.x.forEach((v, i) => b.setBigUint64(HB_X + 8 * i, v, true));
  s.f.forEach((v, i) => b.setBigUint64(HB_F + 8 * i, v, true));
  b.setBigUint64(HB_PC, s.pc, true);
  b.setInt32(HB_PRIV, s.priv, true);
  b.setInt32(HB_WAITING, s.waiting ? 1 : 0, true);
  b.setInt32(HB_STOPPED, s.stopped ? 1 : 0, true);
  b.setBigUint64(HB_INSTRET, s.instret, true);
  // LR/SC reservations do not survive (an SC may fail for any reason, so the guest retries).
  b.setBigUint64(HB_RESERVATION, NO_RESERVATION, true);
  for (const name of HART_CSRS) b.setBigUint64(CSR_OFFSETS[name], s.csr[name], true);
  b.setUint32(HB_FRM, s.frm, true);
  b.setUint32(HB_FFLAGS, s.fflags, true);
  s.pmpcfg.forEach((v, i) => b.setBigUint64(HB_PMPCFG + 8 * i, v, true));
  s.pmpaddr.forEach((v, i) => b.setBigUint64(HB_PMPADDR + 8 * i, v, true));
  b.setBigUint64(HB_MTIMECMP, s.mtimecmp, true);
  // The PLIC drives MEIP and SEIP again when the kernel restores it.
  b.setBigUint64(HB_LINES, s.msip ? MIP_MSIP : 0n, true);
}

/**
 * After the kernel's reset: a checked state into the hart blocks, the save area, the boot ROM and
 * the receive FIFO, for the kernel's restoreState to take up. `pvSharedInfo`: 0 for HVM.
 */
export function writeKernelState(kernel: WasmKernel, s: KernelState, pvSharedInfo: number): void {
  s.harts.forEach((h, i) => writeHart(hartBlock(kernel, i), h));
  const a = view(kernel, SAVE_AREA_BASE, SAVE_AREA_SIZE);
  a.setInt32(SA_CURRENT_HART, s.currentHart, true);
  a.setInt32(SA_LOG_DIRTY, s.logDirty ? 1 : 0, true);
  a.setBigUint64(SA_MTIME, s.clint.mtime, true);
  a.setBigUint64(SA_PV_SHARED_INFO, BigInt(pvSharedInfo), true);
  a.setBigUint64(SA_HTIF_TOHOST, s.htif.tohost, true);
  a.setBigUint64(SA_HTIF_FROMHOST, s.htif.fromhost, true);
  a.setBigInt64(SA_RTC_OFFSET_NS, s.rtc.offsetNs, true);
  a.setUint32(SA_RTC_LATCHED_HIGH, s.rtc.latchedHigh, true);
  const u = s.uart;
  a.setUint32(SA_UART_IER, u.ier, true);
  a.setUint32(SA_UART_LCR, u.lcr, true);
  a.setUint32(SA_UART_MCR, u.mcr, true);
  a.setUint32(SA_UART_SCR, u.scr, true);
  a.setUint32(SA_UART_FCR, u.fcr, true);
  a.setUint32(SA_UART_DLL, u.dll, true);
  a.setUint32(SA_UART_DLM, u.dlm, true);
  a.setUint32(SA_UART_THRE_PENDING, u.thrEmptyPending ? 1 : 0, true);
  a.setUint32(SA_UART_RX_HEAD, 0, true);
  a.setUint32(SA_UART_RX_TAIL, u.rx.length, true);
  new Uint8Array(kernel.memory.buffer, UART_RX_RING, IO_RING_SIZE).set(u.rx);
  const words = (at: number, list: readonly number[]): void => list.forEach((v, i) => a.setUint32(at + 4 * i, v, true));
  words(SA_PLIC_PRIORITY, s.plic.priority);
  words(SA_PLIC_CLAIMED, s.plic.claimed);
  words(SA_PLIC_ENABLE, s.plic.enable);
  words(SA_PLIC_THRESHOLD, s.plic.threshold);
  new Uint8Array(kernel.memory.buffer, BOOTROM_HOST, BOOTROM_SIZE).set(s.bootRom);
}

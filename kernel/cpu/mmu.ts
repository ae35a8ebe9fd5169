// Address translation (Sv39/Sv48 with hardware A/D updates) and every guest memory access.
// A direct-mapped software TLB per (hart, privilege mode, access kind) maps a virtual page to a
// host address in linear memory, so a hit costs one compare and one add. Only RAM and the boot
// ROM are ever entered in a TLB; device pages always take the slow path to the bus.

import {
  BOOTROM_HOST, DIRTY_BITMAP_BASE, FOREIGN_LOAD_VALUE, GUEST_RAM_HOST_BASE, P2M_HOLES_BASE, TLB_BASE, TLB_ENTRIES,
  TLB_HART_SIZE, TLB_TABLE_SIZE,
} from "../public/kernel-abi";
import { BOOTROM_BASE, BOOTROM_SIZE, RAM_BASE } from "../public/board";
import { CPU, PRIV_M, PRIV_S, PRIV_U } from "./state";
import {
  CAUSE_FETCH_ACCESS, CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_ACCESS, CAUSE_LOAD_PAGE_FAULT,
  CAUSE_STORE_ACCESS, CAUSE_STORE_PAGE_FAULT, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV,
  MSTATUS_MXR, MSTATUS_SUM, SATP_MODE_SV39, SATP_MODE_SV48,
} from "./bits";
import { raise, Trap } from "./trap";
import { Bus, mmioRead, mmioWrite } from "../devices/bus";
import { foreignLoad, foreignStore } from "../devices/host";
import { CAUSE_LANE_HOME, inLane } from "./lanes";

export const ACCESS_FETCH: i32 = 0;
export const ACCESS_LOAD: i32 = 1;
export const ACCESS_STORE: i32 = 2;

const TLB_MASK: u64 = TLB_ENTRIES - 1;
const NO_TAG: u64 = 0xffffffffffffffff;

export class Mem {
  static ramBytes: u64 = 0;
  /** Log-dirty mode: every RAM page written is marked in the dirty bitmap. */
  static logDirty: bool = false;
  /** Some RAM page is a hole in the P2M (P2M_HOLES_BASE): the slow paths look there. */
  static holes: bool = false;
  /** Current TLB tables, chosen by privilege (fetch) and effective data privilege (load/store). */
  static tlbFetch: usize = TLB_BASE;
  static tlbLoad: usize = TLB_BASE + TLB_TABLE_SIZE;
  static tlbStore: usize = TLB_BASE + 2 * TLB_TABLE_SIZE;
}

function modeIndex(priv: i32): usize {
  return priv == PRIV_M ? 0 : priv == PRIV_S ? 1 : 2;
}

function tlbTables(hart: i32, priv: i32): usize {
  return TLB_BASE + <usize>hart * TLB_HART_SIZE + modeIndex(priv) * 3 * TLB_TABLE_SIZE;
}

/** The privilege that data accesses use: MPRV lets M-mode load and store as MPP. */
@inline function dataPriv(): i32 {
  if (CPU.priv == PRIV_M && (CPU.mstatus & MSTATUS_MPRV) != 0) {
    return <i32>((CPU.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
  }
  return CPU.priv;
}

/** Re-select TLB tables after a change of privilege, hart, or MPRV/MPP. */
export function onPrivilegeChange(): void {
  Mem.tlbFetch = tlbTables(CPU.hart, CPU.priv);
  const d = tlbTables(CPU.hart, dataPriv());
  Mem.tlbLoad = d + TLB_TABLE_SIZE;
  Mem.tlbStore = d + 2 * TLB_TABLE_SIZE;
}

/** Forget every translation of the S and U tables of this hart (satp, SFENCE.VMA, SUM, MXR). */
export function flushTlb(): void {
  const base = TLB_BASE + <usize>CPU.hart * TLB_HART_SIZE;
  memory.fill(base + 3 * TLB_TABLE_SIZE, 0xff, 6 * TLB_TABLE_SIZE);
}

export function flushAllTlbs(hart: i32): void {
  memory.fill(TLB_BASE + <usize>hart * TLB_HART_SIZE, 0xff, TLB_HART_SIZE);
}

/** Forget every store translation of every hart: the next store to each page takes the slow path. */
export function flushStoreTlbs(harts: i32): void {
  for (let h = 0; h < harts; h++) {
    for (let mode: usize = 0; mode < 3; mode++) {
      memory.fill(TLB_BASE + <usize>h * TLB_HART_SIZE + mode * 3 * TLB_TABLE_SIZE + 2 * TLB_TABLE_SIZE, 0xff, TLB_TABLE_SIZE);
    }
  }
}

/** Host address of a guest-physical RAM or ROM byte, or 0 when it is not memory. */
@inline function hostOf(pa: u64): usize {
  const r = pa - <u64>RAM_BASE;
  if (r < Mem.ramBytes) return isHole(r) ? 0 : <usize>(GUEST_RAM_HOST_BASE + r);
  const b = pa - <u64>BOOTROM_BASE;
  if (b < <u64>BOOTROM_SIZE) return <usize>(BOOTROM_HOST + b);
  return 0;
}

/**
 * Mark the RAM page of `pa` written. Only the slow paths call it: a store that hits the TLB went
 * through a slow path first for that page, and clearing the log flushes the store TLBs, so the
 * first store to each page after a clear comes here again.
 */
@inline function markDirty(pa: u64): void {
  if (!Mem.logDirty) return;
  const page = <usize>((pa - <u64>RAM_BASE) >> 12);
  // Atomic: the host marks pages here too, from another thread (a grant mapping's stores).
  atomic.or<u8>(DIRTY_BITMAP_BASE + (page >> 3), <u8>(1 << <u8>(page & 7)));
}

/** RAM offset `r` lies in a page the domain gave back. Only slow paths ask, so TLB hits cost nothing. */
@inline function isHole(r: u64): bool {
  if (!Mem.holes) return false;
  const page = <usize>(r >> 12);
  return (load<u8>(P2M_HOLES_BASE + (page >> 3)) & <u8>(1 << <u8>(page & 7))) != 0;
}

@inline export function isRam(pa: u64): bool {
  const r = pa - <u64>RAM_BASE;
  return r < Mem.ramBytes && !isHole(r);
}

/**
 * `pa` lies in RAM but in a hole: a page the domain gave back, or one that shows another domain's
 * granted frame (GNTTABOP_map_grant_ref). Such an access goes to the host, which reaches the other
 * domain's memory. It is never entered in a TLB, so taking a mapping away needs no TLB flush.
 */
@inline function inRamHole(pa: u64): bool {
  return pa - <u64>RAM_BASE < Mem.ramBytes;
}

@inline export function ramHost(pa: u64): usize {
  return <usize>(GUEST_RAM_HOST_BASE + (pa - <u64>RAM_BASE));
}

function pageFault(access: i32, va: u64): void {
  raise(access == ACCESS_FETCH ? CAUSE_FETCH_PAGE_FAULT
    : access == ACCESS_LOAD ? CAUSE_LOAD_PAGE_FAULT : CAUSE_STORE_PAGE_FAULT, va);
}

export function accessFault(access: i32, va: u64): void {
  raise(access == ACCESS_FETCH ? CAUSE_FETCH_ACCESS
    : access == ACCESS_LOAD ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS, va);
}

const PTE_V: u64 = 1;
const PTE_R: u64 = 2;
const PTE_W: u64 = 4;
const PTE_X: u64 = 8;
const PTE_U: u64 = 16;
const PTE_A: u64 = 64;
const PTE_D: u64 = 128;
const PTE_RESERVED: u64 = <u64>0x3ff << 54;

/**
 * Translate `va` for `access` at privilege `priv`. Returns the physical address, or raises a
 * page fault and returns NO_TAG.
 */
export function translate(va: u64, access: i32, priv: i32): u64 {
  const mode = CPU.satp >> 60;
  if (priv == PRIV_M || mode == 0) return va;
  const levels: i32 = mode == SATP_MODE_SV48 ? 4 : 3;
  const vaBits: u64 = 12 + 9 * <u64>levels;
  // The upper bits must copy the top valid bit.
  const top = <i64>va >> (vaBits - 1);
  if (top != 0 && top != -1) {
    pageFault(access, va);
    return NO_TAG;
  }
  let table = (CPU.satp & 0xfffffffffff) << 12;
  for (let level = levels - 1; level >= 0; level--) {
    const vpn = (va >> (12 + 9 * <u64>level)) & 0x1ff;
    const ptePa = table + vpn * 8;
    if (!isRam(ptePa)) {
      accessFault(access, va);
      return NO_TAG;
    }
    const pteHost = ramHost(ptePa);
    let pte = load<u64>(pteHost);
    if ((pte & PTE_V) == 0 || ((pte & PTE_R) == 0 && (pte & PTE_W) != 0) || (pte & PTE_RESERVED) != 0) break;
    const ppn = (pte >> 10) & 0xfffffffffff;
    if ((pte & (PTE_R | PTE_X)) == 0) {
      if ((pte & (PTE_A | PTE_D | PTE_U)) != 0) break; // non-leaf PTEs keep these clear
      table = ppn << 12;
      continue;
    }
    // A leaf: check permissions for this privilege.
    if (priv == PRIV_U) {
      if ((pte & PTE_U) == 0) break;
    } else if ((pte & PTE_U) != 0) {
      if (access == ACCESS_FETCH || (CPU.mstatus & MSTATUS_SUM) == 0) break;
    }
    if (access == ACCESS_FETCH) {
      if ((pte & PTE_X) == 0) break;
    } else if (access == ACCESS_LOAD) {
      if ((pte & PTE_R) == 0 && !((CPU.mstatus & MSTATUS_MXR) != 0 && (pte & PTE_X) != 0)) break;
    } else if ((pte & PTE_W) == 0) break;
    const lowMask: u64 = (<u64>1 << (9 * <u64>level)) - 1;
    if ((ppn & lowMask) != 0) break; // misaligned superpage
    const want = PTE_A | (access == ACCESS_STORE ? PTE_D : 0);
    if ((pte & want) != want) {
      // Compare-and-swap, as hardware updates A/D: a hart on another lane may be changing the
      // PTE meanwhile. Then the walk starts again with what it wrote.
      if (atomic.cmpxchg<u64>(pteHost, pte, pte | want) != pte) return translate(va, access, priv);
      markDirty(ptePa);
    }
    const pagePpn = (ppn & ~lowMask) | ((va >> 12) & lowMask);
    return (pagePpn << 12) | (va & 0xfff);
  }
  pageFault(access, va);
  return NO_TAG;
}

/** Enter a translation in the TLB table `table` when the physical page is memory. */
@inline function fill(table: usize, va: u64, pa: u64): void {
  const host = hostOf(pa & ~<u64>0xfff);
  if (host == 0) return;
  const e = table + ((<usize>((va >> 12) & TLB_MASK)) << 4);
  store<u64>(e, va & ~<u64>0xfff);
  store<u64>(e, <u64>host - (va & ~<u64>0xfff), 8);
}

// ---- Slow paths: TLB miss, device access, page-crossing access. --------------------------------

export function loadSlow(va: u64, size: i32): u64 {
  if (((va & 0xfff) + <u64>size) > 0x1000) {
    // Crosses a page: assemble from bytes, each translated on its own.
    let v: u64 = 0;
    for (let i = 0; i < size; i++) {
      const b = loadByte(va + <u64>i);
      if (Trap.pending) return 0;
      v |= (<u64>b) << (8 * <u64>i);
    }
    return v;
  }
  const pa = translate(va, ACCESS_LOAD, dataPriv());
  if (pa == NO_TAG) return 0;
  const host = hostOf(pa);
  if (host != 0) {
    fill(Mem.tlbLoad, va, pa);
    if (size == 8) return load<u64>(host);
    if (size == 4) return <u64>load<u32>(host);
    if (size == 2) return <u64>load<u16>(host);
    return <u64>load<u8>(host);
  }
  if (inRamHole(pa)) {
    if (foreignLoad(pa, size)) return load<u64>(FOREIGN_LOAD_VALUE);
    accessFault(ACCESS_LOAD, va);
    return 0;
  }
  if (inLane()) {
    raise(CAUSE_LANE_HOME, 0); // devices are the machine's own instance's (lanes.ts)
    return 0;
  }
  const v = mmioRead(pa, size);
  if (!Bus.ok) accessFault(ACCESS_LOAD, va);
  return v;
}

export function storeSlow(va: u64, v: u64, size: i32): void {
  if (((va & 0xfff) + <u64>size) > 0x1000) {
    // Check every byte's page before writing any, so a fault leaves memory untouched.
    const last = va + <u64>size - 1;
    if (translate(va, ACCESS_STORE, dataPriv()) == NO_TAG) return;
    if (translate(last, ACCESS_STORE, dataPriv()) == NO_TAG) return;
    for (let i = 0; i < size; i++) storeSlow(va + <u64>i, (v >> (8 * <u64>i)) & 0xff, 1);
    return;
  }
  const pa = translate(va, ACCESS_STORE, dataPriv());
  if (pa == NO_TAG) return;
  if (isRam(pa)) {
    markDirty(pa);
    fill(Mem.tlbStore, va, pa);
    const host = ramHost(pa);
    if (size == 8) store<u64>(host, v);
    else if (size == 4) store<u32>(host, <u32>v);
    else if (size == 2) store<u16>(host, <u16>v);
    else store<u8>(host, <u8>v);
    return;
  }
  if (inRamHole(pa)) {
    if (!foreignStore(pa, v, size)) accessFault(ACCESS_STORE, va);
    return;
  }
  if (inLane()) {
    raise(CAUSE_LANE_HOME, 0);
    return;
  }
  mmioWrite(pa, v, size);
  if (!Bus.ok) accessFault(ACCESS_STORE, va);
}

function loadByte(va: u64): u64 {
  return loadSlow(va, 1);
}

// ---- Fast paths. --------------------------------------------------------------------------------

/**
 * Host address of a naturally aligned load that hits the TLB, or 0. Keeping the low bits of va
 * that must be zero in the compared value makes the tag test also test alignment, so an access
 * that could cross a page goes to the slow path (which does misaligned accesses too).
 */
@inline export function loadHit(va: u64, size: u64): usize {
  const e = Mem.tlbLoad + ((<usize>((va >> 12) & TLB_MASK)) << 4);
  return load<u64>(e) == (va & ~(0xfff ^ (size - 1))) ? <usize>(va + load<u64>(e, 8)) : 0;
}

/** Host address of a naturally aligned store that hits the TLB, or 0 (as loadHit). */
@inline export function storeHit(va: u64, size: u64): usize {
  const e = Mem.tlbStore + ((<usize>((va >> 12) & TLB_MASK)) << 4);
  return load<u64>(e) == (va & ~(0xfff ^ (size - 1))) ? <usize>(va + load<u64>(e, 8)) : 0;
}

@inline export function load8(va: u64): u64 {
  const h = loadHit(va, 1);
  return h != 0 ? <u64>load<u8>(h) : loadSlow(va, 1);
}
@inline export function load16(va: u64): u64 {
  const h = loadHit(va, 2);
  return h != 0 ? <u64>load<u16>(h) : loadSlow(va, 2);
}
@inline export function load32(va: u64): u64 {
  const h = loadHit(va, 4);
  return h != 0 ? <u64>load<u32>(h) : loadSlow(va, 4);
}
@inline export function load64(va: u64): u64 {
  const h = loadHit(va, 8);
  return h != 0 ? load<u64>(h) : loadSlow(va, 8);
}
@inline export function store8(va: u64, v: u8): void {
  const h = storeHit(va, 1);
  if (h != 0) store<u8>(h, v); else storeSlow(va, <u64>v, 1);
}
@inline export function store16(va: u64, v: u64): void {
  const h = storeHit(va, 2);
  if (h != 0) store<u16>(h, <u16>v); else storeSlow(va, v, 2);
}
@inline export function store32(va: u64, v: u64): void {
  const h = storeHit(va, 4);
  if (h != 0) store<u32>(h, <u32>v); else storeSlow(va, v, 4);
}
@inline export function store64(va: u64, v: u64): void {
  const h = storeHit(va, 8);
  if (h != 0) store<u64>(h, v); else storeSlow(va, v, 8);
}

/** Host address for an atomic access of `size` bytes, checked for store permission; 0 on fault. */
export function atomicHost(va: u64, size: u64): usize {
  const h = storeHit(va, size);
  if (h != 0) return h;
  const pa = translate(va, ACCESS_STORE, dataPriv());
  if (pa == NO_TAG) return 0;
  if (!isRam(pa)) {
    accessFault(ACCESS_STORE, va);
    return 0;
  }
  markDirty(pa);
  fill(Mem.tlbStore, va, pa);
  return ramHost(pa);
}

function fetch16Slow(va: u64): u32 {
  const pa = translate(va, ACCESS_FETCH, CPU.priv);
  if (pa == NO_TAG) return 0;
  const host = hostOf(pa);
  if (host == 0) {
    accessFault(ACCESS_FETCH, va);
    return 0;
  }
  fill(Mem.tlbFetch, va, pa);
  return <u32>load<u16>(host);
}

/**
 * The fetch-TLB entry of pc's page if it holds one and a 32-bit instruction at pc does not run
 * past the page, else 0. The entry's addend (at +8) turns any pc on that page into a host address.
 */
@inline export function fetchEntry(pc: u64): usize {
  const e = Mem.tlbFetch + ((<usize>((pc >> 12) & TLB_MASK)) << 4);
  return load<u64>(e) == (pc & ~<u64>0xfff) && (pc & 0xfff) <= 0xffc ? e : 0;
}

/** Fetch the instruction at pc: a 32-bit word, or a 16-bit one in the low half. */
@inline export function fetch(pc: u64): u32 {
  const e = Mem.tlbFetch + ((<usize>((pc >> 12) & TLB_MASK)) << 4);
  if (load<u64>(e) == (pc & ~<u64>0xfff) && (pc & 0xfff) <= 0xffc) {
    return load<u32>(<usize>(pc + load<u64>(e, 8)));
  }
  return fetchSlow(pc);
}

function fetchSlow(pc: u64): u32 {
  const lo = fetch16Slow(pc);
  if ((lo & 3) != 3) return lo;
  if ((pc & 0xfff) != 0xffe) {
    // Same page: the first half filled the TLB entry.
    const e = Mem.tlbFetch + ((<usize>((pc >> 12) & TLB_MASK)) << 4);
    if (load<u64>(e) == (pc & ~<u64>0xfff)) return load<u32>(<usize>(pc + load<u64>(e, 8)));
  }
  const hi = fetch16Slow(pc + 2);
  return lo | (hi << 16);
}

// The Wasm kernel's entry points: the host configures a machine, then calls `run` in slices
// (V8 optimises a Wasm call only once it returns, so the kernel never loops forever inside one).

import {
  DIRTY_BITMAP_BASE, DIRTY_BITMAP_SIZE, P2M_HOLES_BASE, EXIT_BUDGET, EXIT_CONSOLE, EXIT_EVTCHN, EXIT_IDLE, HART_STATE_BASE, HART_STATE_SIZE,
  SAVE_AREA_BASE,
} from "./public/kernel-abi";
import { HB_PC, HB_WAITING } from "./public/hart-block";
import { Lanes, inLane, setLanes } from "./cpu/lanes";
import {
  SA_CURRENT_HART, SA_LOG_DIRTY, SA_PV_SHARED_INFO, SA_HARTS, SA_P2M_HOLES, SA_RAM_BYTES, SA_EXIT_CODE,
} from "./public/save-area";
import { BOOTROM_BASE, MAX_HARTS } from "./public/board";
import { CPU, PRIV_M, saveHart, loadHart, hartBlock, hartStopped } from "./cpu/state";
import { Trap, takeTrap, pendingInterrupt, wakeupPending, nextTimerDeadline } from "./cpu/trap";
import { CAUSE_INTERRUPT } from "./cpu/bits";
import { Mem, flushAllTlbs, flushStoreTlbs, onPrivilegeChange } from "./cpu/mmu";
import { execBurst } from "./cpu/execute";
import { csrRead } from "./cpu/csr";
import { Exit } from "./cpu/exit";
import { clintReset, msUntil, clockStale, clintSave, clintRestore, clintPark, clintUnpark } from "./devices/clint";
import { plicReset, plicSave, plicRestore, plicUnpark } from "./devices/plic";
import { uartReset, uartTxPending, uartSave, uartRestore, uartPark, uartUnpark } from "./devices/uart";
import { virtioReset, virtioRaiseLines } from "./devices/virtio-mmio";
import { htifSet, htifPoll, htifSave, htifRestore } from "./devices/htif";
import { rtcSave, rtcRestore } from "./devices/rtc";
import { Pv, pvReset } from "./cpu/sbi";
import { sendsPosted } from "./cpu/posted-sends";

export { uartPush, uartTxPending, uartTxClear } from "./devices/uart";
export { virtioInterrupt } from "./devices/virtio-mmio";
export { startPv, hartReg, setHartReg } from "./cpu/pv-start";

const BURST: i32 = 1024;
/**
 * A slice that has run this many instructions (about a millisecond) ends as soon as console
 * output is waiting, so the host shows it promptly rather than at the end of a long slice; a
 * chatty guest still costs at most one exit per this many instructions.
 */
const CONSOLE_LATENCY: i32 = 1 << 18;
/**
 * Likewise for posted event-channel sends (kernel/cpu/posted-sends.ts), sooner: a ring's other
 * end waits for them. A guest that sleeps after its notification ends the run at once.
 */
const POSTED_LATENCY: i32 = 1 << 14;

class Machine {
  static harts: i32 = 1;
}

/**
 * Log-dirty mode on or off. The host reads and clears the bitmap at DIRTY_BITMAP_BASE between
 * slices, then calls dirtyLogCleared() so pages written from then on are marked again.
 */
export function setLogDirty(on: bool): void {
  Mem.logDirty = on;
  memory.fill(DIRTY_BITMAP_BASE, 0, DIRTY_BITMAP_SIZE);
  flushStoreTlbs(Machine.harts);
}

export function dirtyLogCleared(): void {
  flushStoreTlbs(Machine.harts);
}

/**
 * Make RAM page `page` a hole in the P2M (the domain gave it back) or the domain's again. Call
 * p2mChanged() after a batch, before the guest runs again.
 */
export function setP2mHole(page: u32, hole: bool): void {
  const byte = P2M_HOLES_BASE + <usize>(page >> 3);
  const bit = <u8>(1 << <u8>(page & 7));
  store<u8>(byte, hole ? load<u8>(byte) | bit : load<u8>(byte) & ~bit);
  if (hole) Mem.holes = true;
}

/** Every hart forgets its translations, so none cached can reach a page that is now a hole. */
export function p2mChanged(): void {
  for (let h = 0; h < Machine.harts; h++) flushAllTlbs(h);
}

/** Reset the machine: `harts` harts at the boot ROM in M-mode, `ramBytes` of RAM. */
export function reset(harts: i32, ramBytes: f64): void {
  Machine.harts = harts < 1 ? 1 : harts > MAX_HARTS ? MAX_HARTS : harts;
  Mem.ramBytes = <u64>ramBytes;
  Mem.holes = false;
  memory.fill(P2M_HOLES_BASE, 0, DIRTY_BITMAP_SIZE);
  memory.fill(HART_STATE_BASE, 0, <usize>MAX_HARTS * HART_STATE_SIZE);
  for (let h = 0; h < Machine.harts; h++) {
    loadHart(h);
    CPU.pc = BOOTROM_BASE;
    CPU.priv = PRIV_M;
    CPU.stimecmp = 0xffffffffffffffff;
    CPU.reservation = 0xffffffffffffffff;
    saveHart();
    flushAllTlbs(h);
  }
  clintReset(Machine.harts);
  plicReset(Machine.harts);
  uartReset();
  virtioReset();
  htifSet(0, 0);
  pvReset(false, Machine.harts, 0);
  loadHart(0);
  onPrivilegeChange();
  Trap.pending = false;
}

/** The globals a saved state and a hand-off have in common, and the running hart's registers. */
function saveCommon(a: usize): void {
  saveHart();
  store<i32>(a, CPU.hart, SA_CURRENT_HART);
  store<i32>(a, Mem.logDirty ? 1 : 0, SA_LOG_DIRTY);
  store<u64>(a, Pv.enabled ? Pv.sharedInfo : 0, SA_PV_SHARED_INFO);
  rtcSave(a);
  htifSave(a);
}

/**
 * Between slices: copy what the kernel keeps in globals to the save area and the running hart's
 * registers to its block, for the host to save. The machine runs on unchanged.
 */
export function saveState(): void {
  const a = SAVE_AREA_BASE;
  saveCommon(a);
  clintSave(a);
  uartSave(a);
  plicSave(a);
}

/**
 * Between slices: hand the machine over to another instance of the kernel on the same memory (a
 * pCPU worker's, or back to the host's). Everything this instance keeps in globals goes to the
 * save area exactly as it is; the other instance's `unpark` takes it up. Only the instance that
 * last unparked the machine may touch it.
 */
export function park(): void {
  const a = SAVE_AREA_BASE;
  saveCommon(a);
  store<i32>(a, Machine.harts, SA_HARTS);
  store<i32>(a, Mem.holes ? 1 : 0, SA_P2M_HOLES);
  store<u64>(a, Mem.ramBytes, SA_RAM_BYTES);
  store<i32>(a, Exit.code, SA_EXIT_CODE);
  clintPark(a);
  uartPark(a);
}

/** Take up a machine another instance parked: its globals as they were, caches re-derived. */
export function unpark(): void {
  unparkMachine();
  setLanes(0, 1);
  loadHart(load<i32>(SAVE_AREA_BASE, SA_CURRENT_HART));
  onPrivilegeChange();
  Trap.pending = false;
}

/**
 * Take up a parked paravirtual machine as lane `index` of `count` (kernel/cpu/lanes.ts), while
 * other instances take up the other lanes: the machine-wide state as the save area holds it,
 * then the lane's first hart. A lane writes neither the save area nor another lane's harts.
 */
export function unparkLane(index: i32, count: i32): void {
  unparkMachine();
  setLanes(index, count);
  loadHart(index);
  onPrivilegeChange();
  Trap.pending = false;
}

/** A lane's slice ends: its running hart goes back to its block (the lane's other harts are there). */
export function parkLane(): void {
  saveHart();
}

/** The machine-wide globals of a parked machine, from the save area. */
function unparkMachine(): void {
  const a = SAVE_AREA_BASE;
  const harts = load<i32>(a, SA_HARTS);
  Machine.harts = harts;
  Mem.ramBytes = load<u64>(a, SA_RAM_BYTES);
  Mem.holes = load<i32>(a, SA_P2M_HOLES) != 0;
  Mem.logDirty = load<i32>(a, SA_LOG_DIRTY) != 0;
  const shared = load<u64>(a, SA_PV_SHARED_INFO);
  pvReset(shared != 0, harts, shared);
  plicUnpark(harts);
  clintUnpark(a, harts);
  uartUnpark(a);
  rtcRestore(a);
  htifRestore(a);
  Exit.code = load<i32>(a, SA_EXIT_CODE);
}

/**
 * After reset(): go on from the state the host wrote to the save area, the hart blocks, the
 * virtio slots, RAM and the P2M. The TLBs and the decoded-instruction cache start empty (reset
 * flushed the one; the other checks every record against memory).
 */
export function restoreState(): void {
  const a = SAVE_AREA_BASE;
  plicRestore(a);
  uartRestore(a);
  virtioRaiseLines();
  rtcRestore(a);
  htifRestore(a);
  clintRestore(a);
  const shared = load<u64>(a, SA_PV_SHARED_INFO);
  pvReset(shared != 0, Machine.harts, shared);
  setLogDirty(load<i32>(a, SA_LOG_DIRTY) != 0);
  const h = load<i32>(a, SA_CURRENT_HART);
  loadHart(h >= 0 && h < Machine.harts ? h : 0);
  onPrivilegeChange();
  Trap.pending = false;
}

export function setHtif(tohost: f64, fromhost: f64): void {
  htifSet(<u64>tohost, <u64>fromhost);
}

function switchTo(h: i32): void {
  if (h == CPU.hart) return;
  saveHart();
  loadHart(h);
  // Another hart may have written the reserved location meanwhile.
  CPU.reservation = 0xffffffffffffffff;
  onPrivilegeChange();
}

/** Let the current hart take a pending interrupt; returns false if it stays asleep in WFI. */
function readyToRun(): bool {
  if (hartStopped(CPU.hart)) return false;
  const irq = pendingInterrupt();
  if (irq >= 0) {
    takeTrap(CAUSE_INTERRUPT | <u64>irq, 0, CPU.pc);
    return true;
  }
  if (CPU.waiting) {
    if (!wakeupPending()) return false;
    CPU.waiting = false;
  }
  return true;
}

/** The next hart of this lane after `h` (all harts take turns when there is one lane). */
@inline function nextHart(h: i32): i32 {
  const n = h + Lanes.count;
  return n < Machine.harts ? n : Lanes.index;
}

/** Run up to `budget` instructions over all harts (of this lane). Returns an EXIT_* reason. */
export function run(budget: i32): i32 {
  Exit.reason = EXIT_BUDGET;
  clockStale();
  let left = budget;
  let asleep = 0; // consecutive harts found waiting
  const harts = (Machine.harts - Lanes.index + Lanes.count - 1) / Lanes.count;
  while (left > 0) {
    if (!inLane()) htifPoll(); // HTIF is a device: the machine's own instance polls it
    if (Exit.reason != EXIT_BUDGET) break;
    if (!readyToRun()) {
      asleep++;
      if (asleep >= harts) return EXIT_IDLE;
      switchTo(nextHart(CPU.hart));
      continue;
    }
    asleep = 0;
    Exit.stop = false;
    left -= execBurst(left < BURST ? left : BURST);
    // Round robin, also past a burst that ended the run: a hart that keeps calling the host (a
    // yield while it waits for another hart, say) must not starve the others.
    if (harts > 1) switchTo(nextHart(CPU.hart));
    if (Exit.reason != EXIT_BUDGET) break;
    if (budget - left >= CONSOLE_LATENCY && uartTxPending() != 0) return EXIT_CONSOLE;
    if (budget - left >= POSTED_LATENCY && sendsPosted()) return EXIT_EVTCHN;
  }
  return Exit.reason;
}

export function exitCode(): i32 {
  return Exit.code;
}

/** The harts that would run now, a bit each: not stopped (SBI HSM), not waiting for an interrupt. */
export function runnableHarts(): i32 {
  let mask = 0;
  for (let h = 0; h < Machine.harts; h++) {
    if (hartStopped(h)) continue;
    const waiting = h == CPU.hart ? CPU.waiting : load<i32>(hartBlock(h), HB_WAITING) != 0;
    if (!waiting) mask |= 1 << h;
  }
  return mask;
}

/** Host milliseconds until the earliest timer that would wake a hart, or -1 if none would. */
export function idleMs(): f64 {
  const current = CPU.hart;
  let best: f64 = -1;
  for (let h = 0; h < Machine.harts; h++) {
    if (hartStopped(h)) continue; // stopped (SBI HSM): its timers wake nothing
    switchTo(h);
    const t = nextTimerDeadline();
    if (t == 0xffffffffffffffff) continue;
    const ms = msUntil(t);
    if (best < 0 || ms < best) best = ms;
  }
  switchTo(current);
  return best;
}

/** Debug view of a hart: pc and privilege. */
export function hartPc(h: i32): f64 {
  if (h == CPU.hart) return <f64>CPU.pc;
  return <f64>load<u64>(hartBlock(h), HB_PC);
}

/** Debug view of the current hart's CSR `num`, read with machine privilege. */
export function debugCsr(num: i32): f64 {
  const priv = CPU.priv;
  CPU.priv = PRIV_M;
  const v = csrRead(<u32>num, 0, false);
  CPU.priv = priv;
  Trap.pending = false;
  return <f64>v;
}

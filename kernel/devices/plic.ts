// PLIC (SiFive layout, as on QEMU's virt): level-triggered sources with priorities, two contexts
// per hart (M then S), claim/complete. The result drives each hart's MEIP/SEIP line.

import { PLIC_SOURCES, PLIC_WORDS, PLIC_CONTEXTS } from "../public/board";
import { SA_PLIC_PRIORITY, SA_PLIC_CLAIMED, SA_PLIC_ENABLE, SA_PLIC_THRESHOLD } from "../public/save-area";
import { setHartLine } from "../cpu/state";
import { MIP_MEIP, MIP_SEIP } from "../cpu/bits";
import { endBurst } from "../cpu/exit";

const WORDS: i32 = PLIC_WORDS;
const CONTEXTS: i32 = PLIC_CONTEXTS;
const PRIORITY_BASE: u32 = 0x0;
const PENDING_BASE: u32 = 0x1000;
const ENABLE_BASE: u32 = 0x2000;
const ENABLE_STRIDE: u32 = 0x80;
const CONTEXT_BASE: u32 = 0x200000;
const CONTEXT_STRIDE: u32 = 0x1000;

const priority = new StaticArray<u32>(PLIC_SOURCES);
const level = new StaticArray<u32>(WORDS); // the devices' interrupt lines
const pending = new StaticArray<u32>(WORDS);
const claimed = new StaticArray<u32>(WORDS); // in service: not pending again until completed
const enable = new StaticArray<u32>(WORDS * CONTEXTS);
const threshold = new StaticArray<u32>(CONTEXTS);

class Plic {
  static harts: i32 = 1;
}

export function plicReset(harts: i32): void {
  Plic.harts = harts;
  for (let i = 0; i < PLIC_SOURCES; i++) priority[i] = 0;
  for (let i = 0; i < WORDS; i++) { level[i] = 0; pending[i] = 0; claimed[i] = 0; }
  for (let i = 0; i < WORDS * CONTEXTS; i++) enable[i] = 0;
  for (let i = 0; i < CONTEXTS; i++) threshold[i] = 0;
}

/** Save area: priorities, sources in service, enables and thresholds. */
export function plicSave(area: usize): void {
  memory.copy(area + SA_PLIC_PRIORITY, changetype<usize>(priority), <usize>PLIC_SOURCES * 4);
  memory.copy(area + SA_PLIC_CLAIMED, changetype<usize>(claimed), <usize>WORDS * 4);
  memory.copy(area + SA_PLIC_ENABLE, changetype<usize>(enable), <usize>(WORDS * CONTEXTS) * 4);
  memory.copy(area + SA_PLIC_THRESHOLD, changetype<usize>(threshold), <usize>CONTEXTS * 4);
}

/** The saved registers, with every line low: the devices raise theirs again (plicSetLevel). */
export function plicRestore(area: usize): void {
  for (let i = 0; i < WORDS; i++) { level[i] = 0; pending[i] = 0; }
  memory.copy(changetype<usize>(priority), area + SA_PLIC_PRIORITY, <usize>PLIC_SOURCES * 4);
  memory.copy(changetype<usize>(claimed), area + SA_PLIC_CLAIMED, <usize>WORDS * 4);
  memory.copy(changetype<usize>(enable), area + SA_PLIC_ENABLE, <usize>(WORDS * CONTEXTS) * 4);
  memory.copy(changetype<usize>(threshold), area + SA_PLIC_THRESHOLD, <usize>CONTEXTS * 4);
  update();
}

/** The highest-priority pending, enabled source above the context's threshold, or 0. */
function best(ctx: i32): u32 {
  let bestId: u32 = 0;
  let bestPrio: u32 = threshold[ctx];
  for (let w = 0; w < WORDS; w++) {
    let bits = pending[w] & enable[ctx * WORDS + w];
    while (bits != 0) {
      const id = <u32>(w * 32) + <u32>ctz(bits);
      bits &= bits - 1;
      if (priority[id] > bestPrio) {
        bestPrio = priority[id];
        bestId = id;
      }
    }
  }
  return bestId;
}

function update(): void {
  for (let h = 0; h < Plic.harts; h++) {
    setHartLine(h, MIP_MEIP, best(2 * h) != 0);
    setHartLine(h, MIP_SEIP, best(2 * h + 1) != 0);
  }
  endBurst();
}

/** A device raises or lowers its interrupt line. */
export function plicSetLevel(id: u32, high: bool): void {
  if (id == 0 || id >= <u32>PLIC_SOURCES) return;
  const w = id >> 5;
  const bit: u32 = 1 << (id & 31);
  const was = (level[w] & bit) != 0;
  if (was == high) return;
  if (high) {
    level[w] |= bit;
    if ((claimed[w] & bit) == 0) pending[w] |= bit;
  } else {
    level[w] &= ~bit;
    pending[w] &= ~bit;
  }
  update();
}

export function plicRead(off: u32, size: i32): u64 {
  if (off < PENDING_BASE) {
    const id = (off - PRIORITY_BASE) >> 2;
    return id < <u32>PLIC_SOURCES ? <u64>priority[id] : 0;
  }
  if (off < ENABLE_BASE) {
    const w = (off - PENDING_BASE) >> 2;
    return w < <u32>WORDS ? <u64>pending[w] : 0;
  }
  if (off < CONTEXT_BASE) {
    const ctx = (off - ENABLE_BASE) / ENABLE_STRIDE;
    const w = ((off - ENABLE_BASE) % ENABLE_STRIDE) >> 2;
    if (ctx >= <u32>(2 * Plic.harts) || w >= <u32>WORDS) return 0;
    return <u64>enable[ctx * WORDS + w];
  }
  const ctx = (off - CONTEXT_BASE) / CONTEXT_STRIDE;
  const reg = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
  if (ctx >= <u32>(2 * Plic.harts)) return 0;
  if (reg == 0) return <u64>threshold[ctx];
  if (reg == 4) {
    const id = best(<i32>ctx);
    if (id != 0) {
      pending[id >> 5] &= ~(1 << (id & 31));
      claimed[id >> 5] |= 1 << (id & 31);
      update();
    }
    return <u64>id;
  }
  return 0;
}

export function plicWrite(off: u32, v: u64): void {
  const val = <u32>v;
  if (off < PENDING_BASE) {
    const id = (off - PRIORITY_BASE) >> 2;
    if (id > 0 && id < <u32>PLIC_SOURCES) priority[id] = val & 7;
  } else if (off < ENABLE_BASE) {
    return; // pending bits are read-only
  } else if (off < CONTEXT_BASE) {
    const ctx = (off - ENABLE_BASE) / ENABLE_STRIDE;
    const w = ((off - ENABLE_BASE) % ENABLE_STRIDE) >> 2;
    if (ctx >= <u32>(2 * Plic.harts) || w >= <u32>WORDS) return;
    enable[ctx * WORDS + w] = w == 0 ? val & ~1 : val; // source 0 does not exist
  } else {
    const ctx = (off - CONTEXT_BASE) / CONTEXT_STRIDE;
    const reg = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (ctx >= <u32>(2 * Plic.harts)) return;
    if (reg == 0) threshold[ctx] = val & 7;
    else if (reg == 4) {
      // Completion: the source may interrupt again; a line still high is pending at once.
      if (val == 0 || val >= <u32>PLIC_SOURCES) return;
      const w = val >> 5;
      const bit: u32 = 1 << (val & 31);
      claimed[w] &= ~bit;
      if ((level[w] & bit) != 0) pending[w] |= bit;
    }
  }
  update();
}

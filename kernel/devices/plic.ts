// PLIC (SiFive layout, as on QEMU's virt): level-triggered sources with priorities, two contexts
// per hart (M then S), claim/complete. The result drives each hart's MEIP/SEIP line.

import { PLIC_SOURCES, PLIC_WORDS, PLIC_CONTEXTS } from "../public/board";
import { PLIC_STATE_BASE } from "../public/kernel-abi";
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

// The registers live at a fixed place in linear memory, not in arrays the module allocates when
// it starts: a pCPU worker's instance of the kernel shares the machine's memory, and starting it
// must not clear them.
const PRIORITY: usize = PLIC_STATE_BASE; // u32 by source
const LEVEL: usize = PRIORITY + <usize>PLIC_SOURCES * 4; // by word: the devices' interrupt lines
const PENDING: usize = LEVEL + <usize>WORDS * 4;
const CLAIMED: usize = PENDING + <usize>WORDS * 4; // in service: not pending again until completed
const ENABLE: usize = CLAIMED + <usize>WORDS * 4; // by context, then word
const THRESHOLD: usize = ENABLE + <usize>(WORDS * CONTEXTS) * 4; // by context

@inline function get(table: usize, i: u32): u32 {
  return load<u32>(table + (<usize>i << 2));
}

@inline function set(table: usize, i: u32, v: u32): void {
  store<u32>(table + (<usize>i << 2), v);
}

class Plic {
  static harts: i32 = 1;
}

export function plicReset(harts: i32): void {
  Plic.harts = harts;
  memory.fill(PRIORITY, 0, THRESHOLD + <usize>CONTEXTS * 4 - PRIORITY);
}

/** Hand-off (kernel.ts `unpark`): the registers are in memory already. */
export function plicUnpark(harts: i32): void {
  Plic.harts = harts;
}

/** Save area: priorities, sources in service, enables and thresholds. */
export function plicSave(area: usize): void {
  memory.copy(area + SA_PLIC_PRIORITY, PRIORITY, <usize>PLIC_SOURCES * 4);
  memory.copy(area + SA_PLIC_CLAIMED, CLAIMED, <usize>WORDS * 4);
  memory.copy(area + SA_PLIC_ENABLE, ENABLE, <usize>(WORDS * CONTEXTS) * 4);
  memory.copy(area + SA_PLIC_THRESHOLD, THRESHOLD, <usize>CONTEXTS * 4);
}

/** The saved registers, with every line low: the devices raise theirs again (plicSetLevel). */
export function plicRestore(area: usize): void {
  memory.fill(LEVEL, 0, <usize>WORDS * 8); // LEVEL and PENDING
  memory.copy(PRIORITY, area + SA_PLIC_PRIORITY, <usize>PLIC_SOURCES * 4);
  memory.copy(CLAIMED, area + SA_PLIC_CLAIMED, <usize>WORDS * 4);
  memory.copy(ENABLE, area + SA_PLIC_ENABLE, <usize>(WORDS * CONTEXTS) * 4);
  memory.copy(THRESHOLD, area + SA_PLIC_THRESHOLD, <usize>CONTEXTS * 4);
  update();
}

/** The highest-priority pending, enabled source above the context's threshold, or 0. */
function best(ctx: i32): u32 {
  let bestId: u32 = 0;
  let bestPrio: u32 = get(THRESHOLD, <u32>ctx);
  for (let w = 0; w < WORDS; w++) {
    let bits = get(PENDING, <u32>w) & get(ENABLE, <u32>(ctx * WORDS + w));
    while (bits != 0) {
      const id = <u32>(w * 32) + <u32>ctz(bits);
      bits &= bits - 1;
      if (get(PRIORITY, <u32>id) > bestPrio) {
        bestPrio = get(PRIORITY, <u32>id);
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
  const was = (get(LEVEL, <u32>w) & bit) != 0;
  if (was == high) return;
  if (high) {
    set(LEVEL, <u32>w, get(LEVEL, <u32>w) | bit);
    if ((get(CLAIMED, <u32>w) & bit) == 0) set(PENDING, <u32>w, get(PENDING, <u32>w) | bit);
  } else {
    set(LEVEL, <u32>w, get(LEVEL, <u32>w) & ~bit);
    set(PENDING, <u32>w, get(PENDING, <u32>w) & ~bit);
  }
  update();
}

export function plicRead(off: u32, size: i32): u64 {
  if (off < PENDING_BASE) {
    const id = (off - PRIORITY_BASE) >> 2;
    return id < <u32>PLIC_SOURCES ? <u64>get(PRIORITY, <u32>id) : 0;
  }
  if (off < ENABLE_BASE) {
    const w = (off - PENDING_BASE) >> 2;
    return w < <u32>WORDS ? <u64>get(PENDING, <u32>w) : 0;
  }
  if (off < CONTEXT_BASE) {
    const ctx = (off - ENABLE_BASE) / ENABLE_STRIDE;
    const w = ((off - ENABLE_BASE) % ENABLE_STRIDE) >> 2;
    if (ctx >= <u32>(2 * Plic.harts) || w >= <u32>WORDS) return 0;
    return <u64>get(ENABLE, <u32>(ctx * WORDS + w));
  }
  const ctx = (off - CONTEXT_BASE) / CONTEXT_STRIDE;
  const reg = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
  if (ctx >= <u32>(2 * Plic.harts)) return 0;
  if (reg == 0) return <u64>get(THRESHOLD, <u32>ctx);
  if (reg == 4) {
    const id = best(<i32>ctx);
    if (id != 0) {
      set(PENDING, <u32>(id >> 5), get(PENDING, <u32>(id >> 5)) & (~(1 << (id & 31))));
      set(CLAIMED, <u32>(id >> 5), get(CLAIMED, <u32>(id >> 5)) | (1 << (id & 31)));
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
    if (id > 0 && id < <u32>PLIC_SOURCES) set(PRIORITY, <u32>id, val & 7);
  } else if (off < ENABLE_BASE) {
    return; // pending bits are read-only
  } else if (off < CONTEXT_BASE) {
    const ctx = (off - ENABLE_BASE) / ENABLE_STRIDE;
    const w = ((off - ENABLE_BASE) % ENABLE_STRIDE) >> 2;
    if (ctx >= <u32>(2 * Plic.harts) || w >= <u32>WORDS) return;
    set(ENABLE, <u32>(ctx * WORDS + w), w == 0 ? val & ~1 : val); // source 0 does not exist
  } else {
    const ctx = (off - CONTEXT_BASE) / CONTEXT_STRIDE;
    const reg = (off - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (ctx >= <u32>(2 * Plic.harts)) return;
    if (reg == 0) set(THRESHOLD, <u32>ctx, val & 7);
    else if (reg == 4) {
      // Completion: the source may interrupt again; a line still high is pending at once.
      if (val == 0 || val >= <u32>PLIC_SOURCES) return;
      const w = val >> 5;
      const bit: u32 = 1 << (val & 31);
      set(CLAIMED, <u32>w, get(CLAIMED, <u32>w) & ~bit);
      if ((get(LEVEL, <u32>w) & bit) != 0) set(PENDING, <u32>w, get(PENDING, <u32>w) | bit);
    }
  }
  update();
}

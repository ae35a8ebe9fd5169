// CLINT (ACLINT MSWI + MTIMER): per-hart software-interrupt bits, mtimecmp, and mtime at
// TIMEBASE_HZ following the host's monotonic clock.

import { TIMEBASE_HZ, MAX_HARTS } from "../public/board";
import { monotonicMs } from "./host";
import { CPU, mtimecmpOf, setMtimecmp, setHartLine, hartLines } from "../cpu/state";
import { MIP_MSIP } from "../cpu/bits";
import { sliceRead, sliceWrite } from "./bus";
import { endBurst } from "../cpu/exit";
import { SA_MTIME, SA_CLINT_OFFSET, SA_CLOCK_TICKS } from "../public/save-area";

const MSIP_BASE: u32 = 0x0;
const MTIMECMP_BASE: u32 = 0x4000;
const MTIME: u32 = 0xbff8;
const TICKS_PER_MS: f64 = <f64>TIMEBASE_HZ / 1000;

class Clint {
  /** mtime = host ticks + offset (the guest may write mtime). */
  static offset: i64 = 0;
  static harts: i32 = 1;
}

export function clintReset(harts: i32): void {
  Clint.harts = harts;
  Clock.fresh = false;
  Clint.offset = -<i64>(monotonicMs() * TICKS_PER_MS);
  for (let h = 0; h < MAX_HARTS; h++) setMtimecmp(h, 0xffffffffffffffff);
}

/**
 * Asking the host for the time costs far more than an instruction, and guests poll the timer in
 * tight loops; so the host clock is sampled at most once every CLOCK_SAMPLE_INSTRUCTIONS
 * instructions (a few microseconds) and at the start of every slice.
 */
const CLOCK_SAMPLE_INSTRUCTIONS: u64 = 256;

class Clock {
  static ticks: i64 = 0;
  static sampledAt: u64 = 0;
  static fresh: bool = false;
}

/** Forget the sampled clock (the host calls run() after an unknown pause). */
export function clockStale(): void {
  Clock.fresh = false;
}

export function readMtime(): u64 {
  if (!Clock.fresh || CPU.instret - Clock.sampledAt >= CLOCK_SAMPLE_INSTRUCTIONS) {
    const t = <i64>(monotonicMs() * TICKS_PER_MS);
    if (t > Clock.ticks) Clock.ticks = t; // never backwards
    Clock.sampledAt = CPU.instret;
    Clock.fresh = true;
  }
  return <u64>(Clock.ticks + Clint.offset);
}

/** Save area: mtime as the guest sees it now, read afresh from the host clock. */
export function clintSave(area: usize): void {
  clockStale();
  store<u64>(area, readMtime(), SA_MTIME);
}

/**
 * Save area: mtime goes on from the saved value, wherever the host clock is now, so a restored
 * guest sees neither the time its state spent on disk nor a clock going backwards.
 */
export function clintRestore(area: usize): void {
  clockStale();
  readMtime();
  Clint.offset = <i64>load<u64>(area, SA_MTIME) - Clock.ticks;
}

/** Hand-off (kernel.ts `park`): the offset and the last ticks read, as they are. */
export function clintPark(area: usize): void {
  store<i64>(area, Clint.offset, SA_CLINT_OFFSET);
  store<i64>(area, Clock.ticks, SA_CLOCK_TICKS);
}

export function clintUnpark(area: usize, harts: i32): void {
  Clint.harts = harts;
  Clint.offset = load<i64>(area, SA_CLINT_OFFSET);
  Clock.ticks = load<i64>(area, SA_CLOCK_TICKS);
  Clock.fresh = false;
}

/** Milliseconds of host time until mtime reaches `ticks` (0 if already past). */
export function msUntil(ticks: u64): f64 {
  const now = readMtime();
  return ticks <= now ? 0 : <f64>(ticks - now) / TICKS_PER_MS;
}

export function clintRead(off: u32, size: i32): u64 {
  if (off < MSIP_BASE + 4 * <u32>Clint.harts) {
    return (hartLines(<i32>(off >> 2)) & MIP_MSIP) != 0 ? 1 : 0;
  }
  if (off >= MTIMECMP_BASE && off < MTIMECMP_BASE + 8 * <u32>Clint.harts) {
    return sliceRead(mtimecmpOf(<i32>((off - MTIMECMP_BASE) >> 3)), off, size);
  }
  if (off >= MTIME && off < MTIME + 8) return sliceRead(readMtime(), off, size);
  return 0;
}

export function clintWrite(off: u32, v: u64, size: i32): void {
  if (off < MSIP_BASE + 4 * <u32>Clint.harts) {
    setHartLine(<i32>(off >> 2), MIP_MSIP, (v & 1) != 0);
  } else if (off >= MTIMECMP_BASE && off < MTIMECMP_BASE + 8 * <u32>Clint.harts) {
    const h = <i32>((off - MTIMECMP_BASE) >> 3);
    setMtimecmp(h, sliceWrite(mtimecmpOf(h), off, v, size));
  } else if (off >= MTIME && off < MTIME + 8) {
    const now = readMtime();
    const wanted = sliceWrite(now, off, v, size);
    Clint.offset += <i64>(wanted - now);
  }
  endBurst();
}

// Lanes: several kernel instances (pCPU workers) running harts of one paravirtual machine at once
// on its shared memory. Lane i of n runs the harts h with h % n == i. What a lane does must touch
// only its own harts and memory that is safe to share: guest RAM (atomics are Wasm atomics, FENCE
// a sequentially consistent store, page-table A/D updates compare-and-swap), its hart blocks, its own decode
// cache, and the posted-send bitmap (updated atomically). Everything else (device registers, the
// console, another hart: IPIs, remote fences, HSM) lives in one instance's globals or in another
// lane's hands, so a lane hands the instruction that needs it back to the machine's own instance
// (EXIT_LANE_HOME: the instruction has not happened, and runs again there).

import { DECODE_CACHE_BASE, DECODE_LANE_STRIDE, DECODE_SCRATCH } from "../public/kernel-abi";

export class Lanes {
  static index: i32 = 0;
  static count: i32 = 1;
  /** This lane's decoded-instruction cache and scratch record. */
  static decodeBase: usize = DECODE_CACHE_BASE;
  static scratch: usize = DECODE_SCRATCH;
}

/** A trap cause no RISC-V trap has: the instruction goes back to the machine's own instance. */
export const CAUSE_LANE_HOME: u64 = 0xffff;

export function setLanes(index: i32, count: i32): void {
  Lanes.index = index;
  Lanes.count = count;
  Lanes.decodeBase = DECODE_CACHE_BASE + <usize>index * DECODE_LANE_STRIDE;
  Lanes.scratch = DECODE_SCRATCH + <usize>index * DECODE_LANE_STRIDE;
}

/** Runs as one of several lanes: instance-wide state is not this instance's to change. */
@inline export function inLane(): bool {
  return Lanes.count > 1;
}

// Guest RAM as a machine state carries it: only the non-zero pages, in runs of consecutive pages,
// so an idle domain's state is about as large as what it has written. A zero page costs a
// native compare (Buffer.equals), not a JavaScript loop.

import { RAM_RUN_MAX_PAGES, type RamRun } from "../public/machine-state.js";
import { PAGE } from "./pv/pv-layout.js";

const ZERO_PAGE = Buffer.alloc(PAGE);

/** The non-zero pages of `ram` (all of guest RAM), ascending, copied out. */
export function nonZeroRuns(ram: Uint8Array): RamRun[] {
  const runs: RamRun[] = [];
  const pages = ram.length / PAGE;
  let first = -1;
  const close = (end: number): void => {
    if (first < 0) return;
    runs.push({ page: first, data: ram.slice(first * PAGE, end * PAGE) });
    first = -1;
  };
  for (let p = 0; p < pages; p++) {
    if (ZERO_PAGE.equals(ram.subarray(p * PAGE, (p + 1) * PAGE))) close(p);
    else {
      if (first >= 0 && p - first === RAM_RUN_MAX_PAGES) close(p);
      if (first < 0) first = p;
    }
  }
  close(pages);
  return runs;
}

/** Write checked runs into `ram`, which is all zero. */
export function writeRuns(ram: Uint8Array, runs: readonly RamRun[]): void {
  for (const r of runs) ram.set(r.data, r.page * PAGE);
}

// Where the hypervisor's special pages of a paravirtual domain live: the top pages of its RAM
// region, as Xen's domain builder places them at the end of the guest's memory. The region is as
// large as the domain may grow (maxmem); it holds `memory` at boot, the pages from there up to
// the special pages being holes its balloon can fill (balloon.ts).

import { RAM_BASE } from "../../public/board.js";
import { GRANT_TABLE_FRAMES } from "../../public/xen/grant-table.js";

export const PAGE = 4096;
export const PV_SPECIAL_PAGES = 4 + GRANT_TABLE_FRAMES;

export interface PvLayout {
  readonly startInfo: number;
  readonly sharedInfo: number;
  readonly console: number;
  readonly xenstore: number;
  /** Guest-physical addresses of the grant-table frames. */
  readonly grantTable: readonly number[];
  /** Pages the guest may hold at most, from RAM_BASE (its maxmem, less the special pages). */
  readonly guestPages: number;
  /** Pages it holds at boot, from RAM_BASE: start_info's nr_pages. */
  readonly bootPages: number;
}

/** `regionBytes`: maxmem; `bootBytes`: memory. The special pages count against both, as in Xen. */
export function pvLayout(regionBytes: number, bootBytes = regionBytes): PvLayout {
  const top = RAM_BASE + regionBytes - PV_SPECIAL_PAGES * PAGE;
  return {
    startInfo: top,
    sharedInfo: top + PAGE,
    console: top + 2 * PAGE,
    xenstore: top + 3 * PAGE,
    grantTable: Array.from({ length: GRANT_TABLE_FRAMES }, (_, i) => top + (4 + i) * PAGE),
    guestPages: regionBytes / PAGE - PV_SPECIAL_PAGES,
    bootPages: Math.min(bootBytes, regionBytes) / PAGE - PV_SPECIAL_PAGES,
  };
}

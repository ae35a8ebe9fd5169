// Where the hypervisor's special pages of a paravirtual domain live: the top pages of its RAM,
// as Xen's domain builder places them at the end of the guest's memory.

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
  /** Pages the guest may use, from RAM_BASE. */
  readonly guestPages: number;
}

export function pvLayout(ramBytes: number): PvLayout {
  const top = RAM_BASE + ramBytes - PV_SPECIAL_PAGES * PAGE;
  return {
    startInfo: top,
    sharedInfo: top + PAGE,
    console: top + 2 * PAGE,
    xenstore: top + 3 * PAGE,
    grantTable: Array.from({ length: GRANT_TABLE_FRAMES }, (_, i) => top + (4 + i) * PAGE),
    guestPages: ramBytes / PAGE - PV_SPECIAL_PAGES,
  };
}

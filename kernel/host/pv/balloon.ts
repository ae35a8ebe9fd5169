// A paravirtual domain's balloon, as Xen's memory_op serves it: pages the guest gives back
// (XENMEM_decrease_reservation) become holes in its P2M, so its accesses there fault and the host
// reaches them no more; XENMEM_populate_physmap fills a hole again with a zeroed page. A domain
// starts with the pages between its `memory` and its `maxmem` as holes, so it can grow up to
// maxmem. Each domain is its own Wasm memory for now (docs/hypervisor.md): a hole returns its
// page to the host's count of free memory, not to a shared pool of frames.

import { RAM_BASE } from "../../public/board.js";
import type { GuestMemory } from "../guest-memory.js";
import type { KernelExports } from "../wasm-kernel.js";
import { PAGE } from "./pv-layout.js";

const FIRST_GPFN = RAM_BASE / PAGE;

export class Balloon {
  /** One bit per RAM page (0 = RAM_BASE): set while the page is a hole. */
  private readonly holes: Uint8Array;
  private holeCount = 0;
  /**
   * The most the guest may hold now (XENMEM_maximum_reservation, `xm mem-max`): at most the
   * region's pages. Lowered below what it holds, the guest keeps its pages but takes no more.
   */
  maxPages: number;

  /** `pages`: the region, from RAM_BASE; the guest holds the first `bootPages` at boot. */
  constructor(private readonly mem: GuestMemory, private readonly pages: number, bootPages = pages) {
    this.maxPages = pages;
    this.holes = new Uint8Array(Math.ceil(pages / 8));
    for (let p = bootPages; p < pages; p++) this.mark(p, true);
  }

  /** The region's pages: how far `maxPages` can go while the domain runs. */
  get regionPages(): number {
    return this.pages;
  }

  /** Puts the holes into the kernel's P2M: at boot, before the guest runs (none: nothing to flush). */
  applyHoles(k: KernelExports): void {
    const holes = this.holePages();
    for (const p of holes) k.setP2mHole(p, 1);
    if (holes.length > 0) k.p2mChanged();
  }

  /** The pages the domain holds now. */
  get currentPages(): number {
    return this.pages - this.holeCount;
  }

  /** The holes, in page order (a saved state keeps them). */
  holePages(): number[] {
    const pages: number[] = [];
    for (let p = 0; p < this.pages; p++) if (this.isHole(p)) pages.push(p);
    return pages;
  }

  /** A restored domain's holes (checked, and zero in its restored RAM), exactly: into the P2M too. */
  restore(k: KernelExports, pages: readonly number[]): void {
    this.holes.fill(0);
    this.holeCount = 0;
    for (const page of pages) this.mark(page, true);
    this.applyHoles(k);
  }

  /** The guest gives page `gpfn` back; false if it is not the guest's RAM or already a hole. */
  giveBack(k: KernelExports, gpfn: number): boolean {
    const page = this.page(gpfn);
    if (page === undefined || this.isHole(page)) return false;
    // Cleared as it goes, so a hole holds nothing of the guest's (and costs the host no copy).
    this.mem.view(RAM_BASE + page * PAGE, PAGE).fill(0);
    k.setP2mHole(page, 1);
    this.mark(page, true);
    return true;
  }

  /** The guest fills the hole at `gpfn` with a zeroed page; false unless it is a hole and the guest is below its maximum. */
  populate(k: KernelExports, gpfn: number): boolean {
    const page = this.page(gpfn);
    if (page === undefined || !this.isHole(page) || this.currentPages >= this.maxPages) return false;
    k.setP2mHole(page, 0);
    this.mem.view(RAM_BASE + page * PAGE, PAGE).fill(0);
    this.mark(page, false);
    return true;
  }

  private page(gpfn: number): number | undefined {
    const page = gpfn - FIRST_GPFN;
    return Number.isSafeInteger(page) && page >= 0 && page < this.pages ? page : undefined;
  }

  /** RAM page `page` (0 = RAM_BASE) is a hole now. */
  isHole(page: number): boolean {
    return (this.holes[page >> 3] & (1 << (page & 7))) !== 0;
  }

  private mark(page: number, hole: boolean): void {
    if (this.isHole(page) === hole) return;
    this.holes[page >> 3] ^= 1 << (page & 7);
    this.holeCount += hole ? 1 : -1;
  }
}

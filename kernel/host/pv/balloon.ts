// A paravirtual domain's balloon, as Xen's memory_op serves it: pages the guest gives back
// (XENMEM_decrease_reservation) become holes in its P2M, so its accesses there fault and the host
// reaches them no more; XENMEM_populate_physmap gives them back, zeroed. Each domain is its own
// Wasm memory for now (docs/hypervisor.md), so a page given back returns to the host's count of
// free memory, not to a shared pool of frames.

import { RAM_BASE } from "../../public/board.js";
import type { GuestMemory } from "../guest-memory.js";
import type { KernelExports } from "../wasm-kernel.js";
import { PAGE } from "./pv-layout.js";

const FIRST_GPFN = RAM_BASE / PAGE;

export class Balloon {
  /** RAM pages (0 = RAM_BASE) the guest gave back. */
  private readonly out = new Set<number>();

  /** `pages`: the guest's own RAM pages, from RAM_BASE (the hypervisor's pages above them stay). */
  constructor(private readonly mem: GuestMemory, private readonly pages: number) {}

  /** The pages the guest gave back and has not taken again. */
  get givenBack(): number {
    return this.out.size;
  }

  /** The pages the domain holds now. */
  get currentPages(): number {
    return this.pages - this.out.size;
  }

  /** The pages given back, for a saved state. */
  saveState(): number[] {
    return [...this.out];
  }

  /** A restored domain's pages given back (checked, and zero in its restored RAM): holes again. */
  restore(k: KernelExports, pages: readonly number[]): void {
    for (const page of pages) {
      k.setP2mHole(page, 1);
      this.out.add(page);
    }
    k.p2mChanged();
  }

  /** The guest gives page `gpfn` back; false if it is not the guest's RAM or already given. */
  giveBack(k: KernelExports, gpfn: number): boolean {
    const page = gpfn - FIRST_GPFN;
    if (!Number.isSafeInteger(page) || page < 0 || page >= this.pages || this.out.has(page)) return false;
    // Zeroed before it goes: nothing the guest left there is seen again.
    this.mem.view(RAM_BASE + page * PAGE, PAGE).fill(0);
    k.setP2mHole(page, 1);
    this.out.add(page);
    return true;
  }

  /** The guest takes page `gpfn` back; false unless it gave that page back before. */
  populate(k: KernelExports, gpfn: number): boolean {
    const page = gpfn - FIRST_GPFN;
    if (!this.out.delete(page)) return false;
    k.setP2mHole(page, 0);
    return true;
  }
}

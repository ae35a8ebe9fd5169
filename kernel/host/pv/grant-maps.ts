// Grant mappings of a paravirtual domain (GNTTABOP_map_grant_ref and unmap_grant_ref), as Xen
// does them for an auto-translated guest: the granted frame appears at one of the mapper's
// guest-physical pages (`host_addr`) until it is unmapped. Each domain is its own Wasm memory
// (docs/hypervisor.md), so the page becomes a hole in the mapper's P2M whose accesses the host
// serves on the granter's memory (kernel/host/foreign-pages.ts): the two domains share the frame
// itself, not copies of it. A page mapped over RAM keeps its contents hidden until the unmap.
//
// Each domain keeps both sides: the grants of others it maps (by handle), and its own grants
// that others map (by reference), whose entries carry GTF_reading / GTF_writing meanwhile, as in
// Xen, so the granter knows not to reuse the frame yet.

import { RAM_BASE } from "../../public/board.js";
import { GUEST_RAM_HOST_BASE } from "../../public/kernel-abi.js";
import { DOMID_SELF } from "../../public/xen/hypercall.js";
import {
  GE_FLAGS, GNTMAP_application_map, GNTMAP_contains_pte, GNTMAP_host_map, GNTMAP_readonly, GNTST_bad_domain,
  GNTST_bad_handle, GNTST_bad_page, GNTST_bad_virt_addr, GNTST_general_error, GNTST_no_device_space, GNTST_okay,
  GTF_reading, GTF_writing,
} from "../../public/xen/grant-table.js";
import type { ForeignPage, ForeignPages } from "../foreign-pages.js";
import { GuestMemoryError } from "../guest-memory.js";
import type { KernelExports } from "../wasm-kernel.js";
import { grantedAddress, grantEntryAddress, type GrantingDomain } from "./grant-table.js";
import { PAGE } from "./pv-layout.js";

/** Mappings one domain may hold at once (Xen's maptrack table is likewise bounded). */
export const MAX_GRANT_MAPS = 1024;

/** A domain as grant mapping sees it: the granter's entries and memory, the mapper's maps. */
export interface MappingDomain extends GrantingDomain {
  readonly maps: GrantMaps;
}

/** What grant maps change in the mapper's kernel: its P2M's holes. */
export type P2mControl = Pick<KernelExports, "setP2mHole" | "p2mChanged">;

/** What a domain's machine gives its grant maps: its Wasm memory, and the pages its kernel maps. */
export interface MapperMachine {
  readonly memory: WebAssembly.Memory;
  readonly foreign: ForeignPages;
}

export interface MapRequest {
  readonly hostAddr: number;
  readonly flags: number;
  readonly ref: number;
  readonly dom: number;
}

interface Mapping {
  readonly page: number;
  readonly ref: number;
  readonly writable: boolean;
  /** The page was already a hole (ballooned out): it stays one after the unmap. */
  readonly wasHole: boolean;
  readonly granter: MappingDomain;
  readonly foreign: ForeignPage;
}

/** One of this domain's grants, mapped by others: how often, how often writably. */
interface Loan {
  readonly frame: number;
  readers: number;
  writers: number;
}

export class GrantMaps {
  private readonly mapped = new Map<number, Mapping>();
  private readonly lent = new Map<number, Loan>();

  /** `pages`: the guest's pages from RAM_BASE that a mapping may take; `isHole`: the balloon's holes. */
  constructor(
    private readonly machine: MapperMachine,
    private readonly pages: number,
    private readonly isHole: (page: number) => boolean,
  ) {}

  /** Grants of other domains this one maps now. */
  get count(): number {
    return this.mapped.size;
  }

  /** GNTTABOP_map_grant_ref for `self`: a GNTST_* status and, when okay, the handle. */
  map(self: MappingDomain, k: P2mControl, lookup: (domid: number) => MappingDomain | undefined, req: MapRequest): { status: number; handle: number } {
    const fail = (status: number) => ({ status, handle: 0 });
    if ((req.flags & GNTMAP_host_map) === 0 || (req.flags & (GNTMAP_application_map | GNTMAP_contains_pte)) !== 0) return fail(GNTST_general_error);
    const page = (req.hostAddr - RAM_BASE) / PAGE;
    if (!Number.isInteger(page) || page < 0 || page >= this.pages || this.pageMapped(page)) return fail(GNTST_bad_virt_addr);
    const granter = req.dom === DOMID_SELF || req.dom === self.domid ? self : lookup(req.dom);
    if (granter === undefined) return fail(GNTST_bad_domain);
    const writable = (req.flags & GNTMAP_readonly) === 0;
    const frame = grantedAddress(granter, req.ref, self.domid, writable);
    if (frame < 0) return fail(frame);
    try {
      granter.mem.view(frame, PAGE); // the granter's own RAM, not a hole (or a page it maps itself)
    } catch (e) {
      if (e instanceof GuestMemoryError) return fail(GNTST_bad_page);
      throw e;
    }
    if (this.mapped.size >= MAX_GRANT_MAPS) return fail(GNTST_no_device_space);
    let handle = 0;
    while (this.mapped.has(handle)) handle++;
    const foreign: ForeignPage = {
      page, memory: granter.maps.machine.memory, offset: GUEST_RAM_HOST_BASE + (frame - RAM_BASE), writable,
    };
    this.mapped.set(handle, { page, ref: req.ref, writable, wasHole: this.isHole(page), granter, foreign });
    k.setP2mHole(page, 1);
    k.p2mChanged(); // the page may be in a TLB as the mapper's own RAM
    this.publish();
    granter.maps.lend(granter, req.ref, frame, writable);
    return { status: GNTST_okay, handle };
  }

  /** GNTTABOP_unmap_grant_ref: a GNTST_* status. */
  unmap(k: P2mControl, hostAddr: number, handle: number): number {
    const m = this.mapped.get(handle);
    if (m === undefined) return GNTST_bad_handle;
    if (hostAddr !== RAM_BASE + m.page * PAGE) return GNTST_general_error;
    this.mapped.delete(handle);
    // A hole is never in a TLB (kernel/cpu/mmu.ts), so the page comes back without a flush.
    if (!m.wasHole) k.setP2mHole(m.page, 0);
    this.publish();
    m.granter.maps.endLoan(m.granter, m.ref, m.writable);
    return GNTST_okay;
  }

  /**
   * The domain is gone or starts again (its P2M is reset with it): its mappings end, and their
   * granters hear of it.
   */
  releaseAll(): void {
    const all = [...this.mapped.values()];
    this.mapped.clear();
    if (all.length > 0) this.publish();
    for (const m of all) m.granter.maps.endLoan(m.granter, m.ref, m.writable);
  }

  /**
   * The balloon must leave guest frame `gpfn` alone: a mapping shows there, or another domain
   * maps it through a grant (Xen would keep such a page until the unmap).
   */
  busy(gpfn: number): boolean {
    const page = gpfn - RAM_BASE / PAGE;
    if (this.pageMapped(page)) return true;
    for (const loan of this.lent.values()) if (loan.frame === gpfn * PAGE) return true;
    return false;
  }

  private pageMapped(page: number): boolean {
    for (const m of this.mapped.values()) if (m.page === page) return true;
    return false;
  }

  private publish(): void {
    this.machine.foreign.set([...this.mapped.values()].map((m) => m.foreign));
  }

  private lend(self: GrantingDomain, ref: number, frame: number, writable: boolean): void {
    const loan = this.lent.get(ref) ?? { frame, readers: 0, writers: 0 };
    loan.readers++;
    if (writable) loan.writers++;
    this.lent.set(ref, loan);
    this.markEntry(self, ref, GTF_reading | (writable ? GTF_writing : 0), true);
  }

  private endLoan(self: GrantingDomain, ref: number, writable: boolean): void {
    const loan = this.lent.get(ref);
    if (loan === undefined) return;
    loan.readers--;
    if (writable) loan.writers--;
    if (loan.readers === 0) this.lent.delete(ref);
    const clear = (loan.readers === 0 ? GTF_reading : 0) | (loan.writers === 0 ? GTF_writing : 0);
    if (clear !== 0) this.markEntry(self, ref, clear, false);
  }

  /** Set or clear status bits of entry `ref`'s flags, atomically: the guest may change them meanwhile. */
  private markEntry(self: GrantingDomain, ref: number, bits: number, set: boolean): void {
    const at = grantEntryAddress(self, ref);
    if (at === undefined) return;
    const v = self.mem.view(at + GE_FLAGS, 2);
    const flags = new Uint16Array(v.buffer, v.byteOffset, 1);
    if (set) Atomics.or(flags, 0, bits);
    else Atomics.and(flags, 0, ~bits & 0xffff);
  }
}

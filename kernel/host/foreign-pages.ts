// The pages of other domains that a domain's guest-physical pages show: its grant mappings
// (kernel/host/pv/grant-maps.ts). Each domain is its own Wasm memory (docs/hypervisor.md), so the
// kernel cannot reach such a page itself. The page is a hole in the mapper's P2M, and the kernel's
// slow path asks the host (the `foreignLoad` and `foreignStore` imports), which reads or writes
// the granter's memory. Both domains see each other's writes at once, as with one shared frame,
// and the granter's dirty log has the page, as if it had written it itself.

import { RAM_BASE } from "../public/board.js";
import { DIRTY_BITMAP_BASE, FOREIGN_LOAD_VALUE, GUEST_RAM_HOST_BASE } from "../public/kernel-abi.js";
import { PAGE } from "./pv/pv-layout.js";

/** One mapped page, in the form a pCPU worker is sent it (a Memory crosses threads, views do not). */
export interface ForeignPage {
  /** The mapper's RAM page that shows it (0 = RAM_BASE). */
  readonly page: number;
  /** The granter's memory, and the byte offset there of the granted frame. */
  readonly memory: WebAssembly.Memory;
  readonly offset: number;
  readonly writable: boolean;
}

/** All of a machine's mapped pages; `version` changes with them, so a pCPU is sent them only then. */
export interface ForeignMap {
  readonly version: number;
  readonly pages: readonly ForeignPage[];
}

interface Mapped {
  readonly view: DataView;
  readonly writable: boolean;
  /** The granter's linear memory, and where its dirty log keeps this frame's bit. */
  readonly granter: Uint8Array;
  readonly dirtyByte: number;
  readonly dirtyBit: number;
}

export class ForeignPages {
  private map: ForeignMap = { version: 0, pages: [] };
  private byPage = new Map<number, Mapped>();
  /** Where a load's value goes: FOREIGN_LOAD_VALUE in the mapper's own memory. */
  private readonly result: DataView;

  constructor(own: WebAssembly.Memory) {
    this.result = new DataView(own.buffer, FOREIGN_LOAD_VALUE, 8);
  }

  get current(): ForeignMap {
    return this.map;
  }

  /** The machine's mappings changed: these are all of them now. */
  set(pages: readonly ForeignPage[]): void {
    this.take({ version: this.map.version + 1, pages });
  }

  /** Take up what the machine's own ForeignPages holds (on a pCPU worker's instance). */
  take(map: ForeignMap): void {
    if (map.version === this.map.version) return;
    this.map = map;
    this.byPage = new Map(map.pages.map((p) => {
      const frame = (p.offset - GUEST_RAM_HOST_BASE) / PAGE;
      return [p.page, {
        view: new DataView(p.memory.buffer, p.offset, PAGE), writable: p.writable,
        granter: new Uint8Array(p.memory.buffer), dirtyByte: DIRTY_BITMAP_BASE + (frame >> 3), dirtyBit: 1 << (frame & 7),
      }];
    }));
  }

  /** The kernel's `foreignLoad`: an access of `size` bytes never crosses a page (the slow path splits those). */
  load(pa: bigint, size: number): boolean {
    const m = this.mapped(pa);
    if (m === undefined) return false;
    const at = Number(pa) % PAGE;
    if (size === 8) {
      this.result.setBigUint64(0, m.view.getBigUint64(at, true), true);
      return true;
    }
    this.result.setUint32(0, size === 4 ? m.view.getUint32(at, true) : size === 2 ? m.view.getUint16(at, true) : m.view.getUint8(at), true);
    this.result.setUint32(4, 0, true);
    return true;
  }

  /** The kernel's `foreignStore`: false when nothing is mapped there or the mapping is read-only. */
  store(pa: bigint, value: bigint, size: number): boolean {
    const m = this.mapped(pa);
    if (m === undefined || !m.writable) return false;
    const at = Number(pa) % PAGE;
    if (size === 8) m.view.setBigUint64(at, value, true);
    else if (size === 4) m.view.setUint32(at, Number(BigInt.asUintN(32, value)), true);
    else if (size === 2) m.view.setUint16(at, Number(BigInt.asUintN(16, value)), true);
    else m.view.setUint8(at, Number(BigInt.asUintN(8, value)));
    // The granter's dirty log, as its own stores mark it. Marking while log-dirty is off is
    // harmless: turning it on clears the log.
    Atomics.or(m.granter, m.dirtyByte, m.dirtyBit);
    return true;
  }

  private mapped(pa: bigint): Mapped | undefined {
    if (this.byPage.size === 0) return undefined;
    return this.byPage.get(Math.floor((Number(pa) - RAM_BASE) / PAGE));
  }
}

// Grant maps: a mapping shows the granter's frame itself at the mapper's page (both see each
// other's writes), only for the domain the grant names and with the access it allows; the
// granter's entry says it is mapped while it is, and its dirty log has the pages written
// through the mapping; unmapping gives the mapper its page back.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RAM_BASE } from "../../public/board.js";
import { DIRTY_BITMAP_BASE, FOREIGN_LOAD_VALUE, GUEST_RAM_HOST_BASE, WASM_PAGE_SIZE } from "../../public/kernel-abi.js";
import {
  GE_FLAGS, GNTMAP_host_map, GNTMAP_readonly, GNTST_bad_domain, GNTST_bad_gntref, GNTST_bad_handle, GNTST_bad_page,
  GNTST_bad_virt_addr, GNTST_general_error, GNTST_okay, GNTST_permission_denied, GTF_permit_access, GTF_readonly,
  GTF_reading, GTF_writing,
} from "../../public/xen/grant-table.js";
import { ForeignPages } from "../foreign-pages.js";
import { GuestMemory } from "../guest-memory.js";
import { GrantMaps, type MappingDomain, type P2mControl } from "./grant-maps.js";
import { pvLayout, PAGE } from "./pv-layout.js";

const RAM = 256 * PAGE;

/** A domain on its own shared Wasm memory, with the P2M holes its kernel would be told of. */
function domain(domid: number, ballooned: readonly number[] = []) {
  const pages = Math.ceil((GUEST_RAM_HOST_BASE + RAM) / WASM_PAGE_SIZE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const linear = new Uint8Array(memory.buffer);
  const mem = new GuestMemory(() => linear, RAM);
  const foreign = new ForeignPages(memory);
  const layout = pvLayout(RAM);
  const holes = new Set<number>(ballooned);
  const p2m: P2mControl = {
    setP2mHole: (page, hole) => void (hole ? holes.add(page) : holes.delete(page)),
    p2mChanged: () => {},
  };
  const maps = new GrantMaps({ memory, foreign }, layout.guestPages, (p) => ballooned.includes(p));
  const d: MappingDomain & { linear: Uint8Array; foreign: ForeignPages; p2m: P2mControl; holes: Set<number> } = {
    domid, mem, grantTable: layout.grantTable, maps, linear, foreign, p2m, holes,
  };
  return d;
}

type Domain = ReturnType<typeof domain>;

function grant(owner: Domain, ref: number, to: number, gpa: number, flags = GTF_permit_access): void {
  const e = owner.mem.dataView(owner.grantTable[0] + ref * 8, 8);
  e.setUint16(0, flags, true);
  e.setUint16(2, to, true);
  e.setUint32(4, gpa / PAGE, true);
}

const entryFlags = (owner: Domain, ref: number): number => owner.mem.dataView(owner.grantTable[0] + ref * 8 + GE_FLAGS, 2).getUint16(0, true);

/** The mapper's guest reading and writing its page as the kernel would (kernel/cpu/mmu.ts's slow path). */
const load = (d: Domain, gpa: number): number | undefined =>
  d.foreign.load(BigInt(gpa), 4) ? new DataView(d.linear.buffer).getUint32(FOREIGN_LOAD_VALUE, true) : undefined;
const store = (d: Domain, gpa: number, v: number): boolean => d.foreign.store(BigInt(gpa), BigInt(v), 4);

const FRAME = RAM_BASE + 0x10000;
const AT = RAM_BASE + 0x40000;

function pair() {
  const a = domain(1);
  const b = domain(2);
  const lookup = (id: number): MappingDomain | undefined => [a, b].find((d) => d.domid === id);
  return { a, b, lookup };
}

describe("grant maps", () => {
  it("show the granter's frame itself at the mapper's page, both ways, until the unmap", () => {
    const { a, b, lookup } = pair();
    a.mem.dataView(FRAME, 4).setUint32(0, 0x11223344, true);
    b.mem.dataView(AT, 4).setUint32(0, 0xb0b0b0b0, true);
    grant(a, 8, 2, FRAME);
    const { status, handle } = b.maps.map(b, b.p2m, lookup, { hostAddr: AT, flags: GNTMAP_host_map, ref: 8, dom: 1 });
    expect(status).toBe(GNTST_okay);
    expect(b.holes.has((AT - RAM_BASE) / PAGE)).toBe(true);
    expect(load(b, AT)).toBe(0x11223344);
    expect(store(b, AT + 4, 0xcafe)).toBe(true);
    expect(a.mem.dataView(FRAME + 4, 4).getUint32(0, true)).toBe(0xcafe);
    const frame = (FRAME - RAM_BASE) / PAGE; // and its dirty log has the page, as if a wrote it
    expect(a.linear[DIRTY_BITMAP_BASE + (frame >> 3)]).toBe(1 << (frame & 7));
    a.mem.dataView(FRAME, 4).setUint32(0, 0x55667788, true);
    expect(load(b, AT)).toBe(0x55667788);
    expect(entryFlags(a, 8) & (GTF_reading | GTF_writing)).toBe(GTF_reading | GTF_writing);

    expect(b.maps.unmap(b.p2m, AT, handle)).toBe(GNTST_okay);
    expect(b.holes.size).toBe(0);
    expect(load(b, AT)).toBeUndefined();
    expect(b.mem.dataView(AT, 4).getUint32(0, true)).toBe(0xb0b0b0b0); // its own page, as it was
    expect(entryFlags(a, 8)).toBe(GTF_permit_access);
  });

  it("map read-only: stores through the mapping are refused", () => {
    const { a, b, lookup } = pair();
    grant(a, 9, 2, FRAME, GTF_permit_access | GTF_readonly);
    expect(b.maps.map(b, b.p2m, lookup, { hostAddr: AT, flags: GNTMAP_host_map, ref: 9, dom: 1 }).status).toBe(GNTST_permission_denied);
    const { status } = b.maps.map(b, b.p2m, lookup, { hostAddr: AT, flags: GNTMAP_host_map | GNTMAP_readonly, ref: 9, dom: 1 });
    expect(status).toBe(GNTST_okay);
    expect(store(b, AT, 1)).toBe(false);
    expect(a.mem.dataView(FRAME, 4).getUint32(0, true)).toBe(0);
    expect(entryFlags(a, 9) & (GTF_reading | GTF_writing)).toBe(GTF_reading);
  });

  it("refuse what Xen refuses, with its status", () => {
    const { a, b } = pair();
    const c = domain(3);
    const all = (id: number): MappingDomain | undefined => [a, b, c].find((d) => d.domid === id);
    grant(a, 8, 2, FRAME);
    const map = (d: Domain, hostAddr: number, flags = GNTMAP_host_map, ref = 8, dom = 1) => d.maps.map(d, d.p2m, all, { hostAddr, flags, ref, dom }).status;
    expect(map(c, AT)).toBe(GNTST_permission_denied); // the grant names domain 2
    expect(map(b, AT, 0)).toBe(GNTST_general_error); // not a host mapping
    expect(map(b, AT + 8)).toBe(GNTST_bad_virt_addr); // not page-aligned
    expect(map(b, pvLayout(RAM).startInfo)).toBe(GNTST_bad_virt_addr); // the hypervisor's pages
    expect(map(b, RAM_BASE - PAGE)).toBe(GNTST_bad_virt_addr);
    expect(map(b, AT, GNTMAP_host_map, 8, 7)).toBe(GNTST_bad_domain);
    expect(map(b, AT, GNTMAP_host_map, 4096)).toBe(GNTST_bad_gntref);
    grant(a, 10, 2, RAM_BASE + RAM); // a frame outside its RAM
    expect(map(b, AT, GNTMAP_host_map, 10)).toBe(GNTST_bad_page);
    expect(map(b, AT)).toBe(GNTST_okay);
    expect(map(b, AT)).toBe(GNTST_bad_virt_addr); // already mapped there
    expect(b.maps.unmap(b.p2m, AT, 5)).toBe(GNTST_bad_handle);
    expect(b.maps.unmap(b.p2m, AT + PAGE, 0)).toBe(GNTST_general_error);
  });

  it("keep the balloon off mapped and lent pages, and leave a ballooned page a hole after the unmap", () => {
    const a = domain(1);
    const hole = (AT - RAM_BASE) / PAGE;
    const b = domain(2, [hole]);
    const lookup = (id: number): MappingDomain | undefined => [a, b].find((d) => d.domid === id);
    grant(a, 8, 2, FRAME);
    b.holes.add(hole);
    const { handle } = b.maps.map(b, b.p2m, lookup, { hostAddr: AT, flags: GNTMAP_host_map, ref: 8, dom: 1 });
    expect(b.maps.busy(AT / PAGE)).toBe(true);
    expect(a.maps.busy(FRAME / PAGE)).toBe(true);
    expect(a.maps.busy(FRAME / PAGE + 1)).toBe(false);
    b.maps.unmap(b.p2m, AT, handle);
    expect(b.holes.has(hole)).toBe(true);
    expect(a.maps.busy(FRAME / PAGE)).toBe(false);
  });

  it("end every mapping when the mapper goes, clearing the granters' entries", () => {
    const { a, b, lookup } = pair();
    grant(a, 8, 2, FRAME);
    grant(a, 11, 2, FRAME + PAGE);
    b.maps.map(b, b.p2m, lookup, { hostAddr: AT, flags: GNTMAP_host_map, ref: 8, dom: 1 });
    b.maps.map(b, b.p2m, lookup, { hostAddr: AT + PAGE, flags: GNTMAP_host_map | GNTMAP_readonly, ref: 11, dom: 1 });
    expect(b.foreign.current.pages).toHaveLength(2);
    b.maps.releaseAll();
    expect(b.maps.count).toBe(0);
    expect(b.foreign.current.pages).toHaveLength(0);
    expect(entryFlags(a, 8)).toBe(GTF_permit_access);
    expect(entryFlags(a, 11)).toBe(GTF_permit_access);
  });

  it("keep the entry's flags and the mapped pages true to the live mappings, whatever the order (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("map" as const), page: fc.integer({ min: 0, max: 3 }), ref: fc.integer({ min: 8, max: 10 }), readonly: fc.boolean() }),
      fc.record({ kind: fc.constant("unmap" as const), handle: fc.integer({ min: 0, max: 5 }), page: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const { a, b, lookup } = pair();
      for (let ref = 8; ref <= 10; ref++) grant(a, ref, 2, FRAME + (ref - 8) * PAGE);
      const live = new Map<number, { page: number; ref: number; readonly: boolean }>();
      for (const o of ops) {
        const hostAddr = AT + o.page * PAGE;
        if (o.kind === "map") {
          const r = b.maps.map(b, b.p2m, lookup, { hostAddr, flags: GNTMAP_host_map | (o.readonly ? GNTMAP_readonly : 0), ref: o.ref, dom: 1 });
          const taken = [...live.values()].some((m) => m.page === o.page);
          expect(r.status).toBe(taken ? GNTST_bad_virt_addr : GNTST_okay);
          if (r.status === GNTST_okay) live.set(r.handle, { page: o.page, ref: o.ref, readonly: o.readonly });
        } else {
          const m = live.get(o.handle);
          const st = b.maps.unmap(b.p2m, hostAddr, o.handle);
          expect(st).toBe(m === undefined ? GNTST_bad_handle : m.page === o.page ? GNTST_okay : GNTST_general_error);
          if (st === GNTST_okay) live.delete(o.handle);
        }
      }
      expect(b.maps.count).toBe(live.size);
      expect([...b.holes].sort()).toEqual([...new Set([...live.values()].map((m) => (AT - RAM_BASE) / PAGE + m.page))].sort());
      for (let ref = 8; ref <= 10; ref++) {
        const mine = [...live.values()].filter((m) => m.ref === ref);
        const want = (mine.length > 0 ? GTF_reading : 0) | (mine.some((m) => !m.readonly) ? GTF_writing : 0);
        expect(entryFlags(a, ref) & (GTF_reading | GTF_writing)).toBe(want);
      }
    }));
  });
});

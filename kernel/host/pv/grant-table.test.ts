// A grant lets exactly the domain it names copy the granted frame, with the access it allows.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { GuestMemory } from "../guest-memory.js";
import { GUEST_RAM_HOST_BASE } from "../../public/kernel-abi.js";
import { RAM_BASE } from "../../public/board.js";
import {
  GNTCOPY_dest_gref, GNTCOPY_source_gref, GNTST_bad_copy_arg, GNTST_bad_domain, GNTST_bad_gntref, GNTST_okay,
  GNTST_permission_denied, GTF_permit_access, GTF_readonly,
} from "../../public/xen/grant-table.js";
import { DOMID_SELF } from "../../public/xen/hypercall.js";
import { grantCopy, type GrantingDomain } from "./grant-table.js";
import { pvLayout } from "./pv-layout.js";

const RAM = 1024 * 1024;

function domain(domid: number): GrantingDomain {
  const linear = new Uint8Array(GUEST_RAM_HOST_BASE + RAM);
  const mem = new GuestMemory(() => linear, RAM);
  return { domid, mem, grantTable: pvLayout(RAM).grantTable };
}

function grant(owner: GrantingDomain, ref: number, to: number, frame: number, flags = GTF_permit_access): void {
  const e = owner.mem.dataView(owner.grantTable[0] + ref * 8, 8);
  e.setUint16(0, flags, true);
  e.setUint16(2, to, true);
  e.setUint32(4, frame, true);
}

const frameOf = (gpa: number): number => gpa / 4096;
const DATA = RAM_BASE + 0x10000;
const BUF = RAM_BASE + 0x20000;

describe("grant copy", () => {
  const a = domain(1);
  const b = domain(2);
  const c = domain(3);
  const lookup = (id: number): GrantingDomain | undefined => [a, b, c].find((d) => d.domid === id);
  a.mem.write(DATA, new TextEncoder().encode("granted bytes"));
  grant(a, 8, 2, frameOf(DATA));
  grant(a, 9, 2, frameOf(DATA), GTF_permit_access | GTF_readonly);

  it("lets the named domain copy from the grant", () => {
    const st = grantCopy(b, lookup, { refOrFrame: 8, domid: 1, offset: 0 }, { refOrFrame: frameOf(BUF), domid: DOMID_SELF, offset: 0 }, 13, GNTCOPY_source_gref);
    expect(st).toBe(GNTST_okay);
    expect(new TextDecoder().decode(b.mem.view(BUF, 13))).toBe("granted bytes");
  });

  it("refuses any other domain", () => {
    const st = grantCopy(c, lookup, { refOrFrame: 8, domid: 1, offset: 0 }, { refOrFrame: frameOf(BUF), domid: DOMID_SELF, offset: 0 }, 13, GNTCOPY_source_gref);
    expect(st).toBe(GNTST_permission_denied);
    expect(c.mem.view(BUF, 13).every((x) => x === 0)).toBe(true);
  });

  it("refuses writes through a read-only grant, and accepts them through a writable one", () => {
    b.mem.write(BUF, new TextEncoder().encode("reply"));
    const to = (ref: number) => grantCopy(b, lookup, { refOrFrame: frameOf(BUF), domid: DOMID_SELF, offset: 0 }, { refOrFrame: ref, domid: 1, offset: 100 }, 5, GNTCOPY_dest_gref);
    expect(to(9)).toBe(GNTST_permission_denied);
    expect(to(8)).toBe(GNTST_okay);
    expect(new TextDecoder().decode(a.mem.view(DATA + 100, 5))).toBe("reply");
  });

  it("checks references, domains, frames and lengths", () => {
    const own = { refOrFrame: frameOf(BUF), domid: DOMID_SELF, offset: 0 };
    expect(grantCopy(b, lookup, { refOrFrame: 10, domid: 1, offset: 0 }, own, 1, GNTCOPY_source_gref)).toBe(GNTST_bad_gntref);
    expect(grantCopy(b, lookup, { refOrFrame: 1 << 20, domid: 1, offset: 0 }, own, 1, GNTCOPY_source_gref)).toBe(GNTST_bad_gntref);
    expect(grantCopy(b, lookup, { refOrFrame: 8, domid: 77, offset: 0 }, own, 1, GNTCOPY_source_gref)).toBe(GNTST_bad_domain);
    // A frame (not a grant) of another domain is never reachable.
    expect(grantCopy(b, lookup, { refOrFrame: frameOf(DATA), domid: 1, offset: 0 }, own, 1, 0)).toBe(GNTST_permission_denied);
    expect(grantCopy(b, lookup, { refOrFrame: 8, domid: 1, offset: 4000 }, own, 200, GNTCOPY_source_gref)).toBe(GNTST_bad_copy_arg);
  });

  it("returns a GNTST status and never throws, whatever the arguments", () => {
    const side = fc.record({ refOrFrame: fc.oneof(fc.integer({ min: 0, max: 0x100000 }), fc.constant(8)), domid: fc.constantFrom(1, 2, 3, 9, DOMID_SELF), offset: fc.integer({ min: 0, max: 0xffff }) });
    fc.assert(fc.property(side, side, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 3 }), (s, d, len, flags) => {
      const st = grantCopy(c, lookup, s, d, len, flags);
      expect(st).toBeLessThanOrEqual(0);
    }), { numRuns: 3000 });
  });
});

import { describe, expect, it } from "vitest";
import { Balloon } from "./balloon.js";
import { GuestMemory, GuestMemoryError } from "../guest-memory.js";
import { GUEST_RAM_HOST_BASE, P2M_HOLES_BASE } from "../../public/kernel-abi.js";
import { RAM_BASE } from "../../public/board.js";
import type { KernelExports } from "../wasm-kernel.js";

const PAGES = 64;
const FIRST = RAM_BASE / 4096;

/** Guest memory in a linear buffer, and the kernel's P2M hole bits as its export sets them. */
function setup() {
  const linear = new Uint8Array(GUEST_RAM_HOST_BASE + PAGES * 4096);
  const mem = new GuestMemory(() => linear, PAGES * 4096);
  const k = {
    setP2mHole: (page: number, hole: number) => {
      const bit = 1 << (page & 7);
      linear[P2M_HOLES_BASE + (page >> 3)] = hole ? linear[P2M_HOLES_BASE + (page >> 3)] | bit : linear[P2M_HOLES_BASE + (page >> 3)] & ~bit;
    },
    p2mChanged: () => {},
  } as unknown as KernelExports;
  return { mem, k, balloon: new Balloon(mem, PAGES - 4) };
}

describe("a domain's balloon", () => {
  it("zeroes a page given back, and the host reaches it no more until the guest takes it again", () => {
    const { mem, k, balloon } = setup();
    mem.view(RAM_BASE + 5 * 4096, 4096).fill(0xaa);
    expect(balloon.giveBack(k, FIRST + 5)).toBe(true);
    expect(balloon.currentPages).toBe(PAGES - 5);
    expect(() => mem.view(RAM_BASE + 5 * 4096 + 100, 8)).toThrow(GuestMemoryError);
    expect(() => mem.view(RAM_BASE + 4 * 4096, 4097)).toThrow(/ballooned out/);
    expect(mem.view(RAM_BASE + 4 * 4096, 4096).length).toBe(4096);
    expect(balloon.populate(k, FIRST + 5)).toBe(true);
    expect(mem.view(RAM_BASE + 5 * 4096, 4096).every((b) => b === 0)).toBe(true);
    expect(balloon.currentPages).toBe(PAGES - 4);
  });

  it("refuses pages that are not the guest's to give, or not given back to take", () => {
    const { k, balloon } = setup();
    expect(balloon.giveBack(k, FIRST - 1)).toBe(false);
    expect(balloon.giveBack(k, FIRST + PAGES - 4)).toBe(false); // the hypervisor's pages at the top
    expect(balloon.giveBack(k, 2 ** 60)).toBe(false);
    expect(balloon.populate(k, FIRST + 3)).toBe(false);
    expect(balloon.giveBack(k, FIRST + 3)).toBe(true);
    expect(balloon.giveBack(k, FIRST + 3)).toBe(false);
    expect(balloon.currentPages).toBe(PAGES - 5);
  });

  it("starts with the pages between memory and maxmem as holes, which the guest can fill", () => {
    const { mem, k } = setup();
    const balloon = new Balloon(mem, PAGES - 4, PAGES - 12);
    balloon.applyHoles(k);
    expect(balloon.currentPages).toBe(PAGES - 12);
    expect(() => mem.view(RAM_BASE + (PAGES - 12) * 4096, 8)).toThrow(/ballooned out/);
    expect(balloon.giveBack(k, FIRST + PAGES - 10)).toBe(false); // already a hole
    expect(balloon.populate(k, FIRST + PAGES - 10)).toBe(true);
    expect(mem.view(RAM_BASE + (PAGES - 10) * 4096, 4096).every((b) => b === 0)).toBe(true);
    expect(balloon.currentPages).toBe(PAGES - 11);
  });

  it("takes no page above its maximum; the maximum moves within the region (xm mem-max)", () => {
    const { k, mem } = setup();
    const balloon = new Balloon(mem, PAGES - 4, PAGES - 12);
    balloon.applyHoles(k);
    balloon.maxPages = PAGES - 11;
    expect(balloon.populate(k, FIRST + PAGES - 12)).toBe(true);
    expect(balloon.populate(k, FIRST + PAGES - 11)).toBe(false); // at its maximum
    balloon.maxPages = PAGES - 13; // below what it holds: it keeps them, and may give them back
    expect(balloon.currentPages).toBe(PAGES - 11);
    expect(balloon.giveBack(k, FIRST + 1)).toBe(true);
    expect(balloon.populate(k, FIRST + 1)).toBe(false);
    expect(balloon.regionPages).toBe(PAGES - 4);
  });
});

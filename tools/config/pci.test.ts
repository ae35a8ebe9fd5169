import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValueError } from "./config-error.js";
import { parsePci, formatPci, pciFromNumbers } from "./pci.js";

describe("pci entries", () => {
  it("reads the manual's device (§2.5.2: pci=['06:01.0'])", () => {
    expect(parsePci("06:01.0")).toEqual({ domain: 0, bus: 6, slot: 1, func: 0 });
    expect(parsePci("0001:a0:1F.7")).toEqual({ domain: 1, bus: 0xa0, slot: 0x1f, func: 7 });
    expect(formatPci({ domain: 0, bus: 6, slot: 1, func: 0 })).toBe("06:01.0");
    expect(formatPci({ domain: 1, bus: 0xa0, slot: 0x1f, func: 7 })).toBe("0001:a0:1f.7");
  });

  it.each([
    ["", "is not a PCI address"], ["06:01", "is not a PCI address"], ["06:01.8", "is not a PCI address"],
    ["(06:01.0)", "is not a PCI address"], ["06:20.0", "the slot goes up to 1f"], ["12345:06:01.0", "is not a PCI address"],
  ])("refuses %j: %s", (text, message) => {
    expect(() => parsePci(text)).toThrow(ValueError);
    expect(() => parsePci(text)).toThrow(message);
  });

  it("refuses numbers out of range", () => {
    expect(() => pciFromNumbers(0, 256, 0, 0)).toThrow("bus up to 0xff");
  });

  it("round-trips any address", () => {
    const pci = fc.record({ domain: fc.integer({ min: 0, max: 0xffff }), bus: fc.integer({ min: 0, max: 0xff }), slot: fc.integer({ min: 0, max: 0x1f }), func: fc.integer({ min: 0, max: 7 }) });
    fc.assert(fc.property(pci, (p) => {
      expect(parsePci(formatPci(p))).toEqual(p);
    }), { numRuns: 1000 });
  });

  it("either parses or throws ValueError, for any text", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 15 }), fc.stringMatching(/^[0-9a-fA-F:.]{0,14}$/)), (t) => {
      try {
        parsePci(t);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 3000 });
  });
});

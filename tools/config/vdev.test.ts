import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValueError } from "./config-error.js";
import { parseVdev, formatVdev, vdevToNumber, numberToVdev, type VdevKind } from "./vdev.js";

describe("virtual device numbers", () => {
  it.each([
    // The manual's table (§6.13, "xm block-list Device Numbers").
    ["hda", 768], ["hdb", 832], ["hdc", 5632], ["hdd", 5696],
    ["sda", 2048], ["sdb", 2064], ["sdc", 2080], ["sdd", 2096],
    ["xvda", 51712], ["xvdb", 51728], ["xvdc", 51744], ["xvdd", 51760],
    // §6.13: "sda3 has major number 8 and minor number 3 … (8*256)+3 = 2051".
    ["sda3", 2051],
    ["xvda1", 51713], ["xvdp15", 51967], ["hda63", 831], ["sdp15", 2303],
    // Beyond 15 disks or partitions Xen uses 1 << 28 | disk << 8 | partition (vbd-interface.txt).
    ["xvdq", (1 << 28) | (16 << 8)],
    ["xvda16", (1 << 28) | 16],
    ["xvdtq37", (1 << 28) | (536 << 8) | 37],
    ["xvdaa", (1 << 28) | (26 << 8)],
  ])("%s is %i", (name, n) => {
    expect(vdevToNumber(name)).toBe(n);
    expect(numberToVdev(n)).toBe(name);
  });

  it.each([
    ["", "is not a virtual device name"],
    ["xvd", "is not a virtual device name"],
    ["vda", "is not a virtual device name"],
    ["xvda0", "is not a virtual device name"],
    ["xvdA", "is not a virtual device name"],
    ["/dev/xvda", "is not a virtual device name"],
    ["hde", "hd disks go up to d"],
    ["hda64", "hd partitions go up to 63"],
    ["sdq", "sd disks go up to p"],
    ["sda16", "sd partitions go up to 15"],
    ["xvda256", "xvd partitions go up to 255"],
    ["xvdzzzzz", "xvd disks go up to"],
  ])("refuses the name %j: %s", (name, message) => {
    expect(() => vdevToNumber(name)).toThrow(ValueError);
    expect(() => vdevToNumber(name)).toThrow(message);
  });

  it.each([
    [-1], [0], [1.5], [3 << 8 | 128], [22 << 8 | 200], [202 << 8 | 256], [(1 << 28) | 5], [2 ** 29], [7 << 8],
  ])("refuses the number %d", (n) => {
    expect(() => numberToVdev(n)).toThrow(ValueError);
  });

  const vdev = fc.oneof(
    fc.record({ kind: fc.constant<VdevKind>("xvd"), disk: fc.integer({ min: 0, max: 2 ** 20 - 1 }), partition: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant<VdevKind>("sd"), disk: fc.integer({ min: 0, max: 15 }), partition: fc.integer({ min: 0, max: 15 }) }),
    fc.record({ kind: fc.constant<VdevKind>("hd"), disk: fc.integer({ min: 0, max: 3 }), partition: fc.integer({ min: 0, max: 63 }) }),
  );

  it("round-trips any device: parts → name → parts and name → number → name", () => {
    fc.assert(fc.property(vdev, (v) => {
      const name = formatVdev(v);
      expect(parseVdev(name)).toEqual(v);
      expect(numberToVdev(vdevToNumber(name))).toBe(name);
    }), { numRuns: 3000 });
  });

  it("maps any number it accepts back to itself, and refuses the rest with ValueError", () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: 0, max: 1 << 16 }), fc.integer({ min: 0, max: 2 ** 30 })), (n) => {
      try {
        expect(vdevToNumber(numberToVdev(n))).toBe(n);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 5000 });
  });

  it("either parses or throws ValueError, for any name", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^(xvd|sd|hd)[a-z]{0,6}\d{0,4}$/)), (t) => {
      try {
        expect(numberToVdev(vdevToNumber(t))).toBe(t);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 3000 });
  });
});

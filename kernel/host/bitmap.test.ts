import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { takeSetBits } from "./bitmap.js";

describe("taking a bitmap's set bits", () => {
  it("gives each set bit once, lowest first, and leaves the map clear, whatever its length and offset", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 70 }), fc.array(fc.nat()), (offset, length, picks) => {
      const buffer = new Uint8Array(offset + length + 3).fill(0xa5);
      const map = buffer.subarray(offset, offset + length).fill(0);
      const set = [...new Set(picks.map((p) => (length === 0 ? -1 : p % (length * 8))))].filter((n) => n >= 0);
      for (const n of set) map[n >> 3] |= 1 << (n & 7);
      expect(takeSetBits(map)).toEqual([...set].sort((a, b) => a - b));
      expect(map.every((b) => b === 0)).toBe(true);
      // Nothing outside the map is touched.
      expect([...buffer.subarray(0, offset), ...buffer.subarray(offset + length)].every((b) => b === 0xa5)).toBe(true);
    }));
  });
});

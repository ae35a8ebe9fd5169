import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { wakeTime } from "./credit-scheduler.js";

describe("when a sleeping domain is woken", () => {
  it("a long sleep ends on the next 4 ms boundary after its timer, never before it and at most 4 ms late", () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 40, max: 1e5, noNaN: true }), (now, ms) => {
      const at = wakeTime(now, ms);
      expect(at).toBeGreaterThanOrEqual(now + ms);
      expect(at - (now + ms)).toBeLessThan(4);
      expect(at % 4).toBe(0);
    }));
  });

  it("so domains whose timers fall in one 4 ms grain wake together", () => {
    expect(new Set([1000.5, 1001.9, 1003.99].map((t) => wakeTime(t - 1000, 1000))).size).toBe(1);
  });

  it("a short sleep ends exactly at its timer", () => {
    expect(wakeTime(1000.25, 1.5)).toBe(1001.75);
    expect(wakeTime(7, 39)).toBe(46);
  });
});

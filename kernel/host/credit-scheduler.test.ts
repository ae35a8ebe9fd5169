import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { timerGrain, wakeTime } from "./credit-scheduler.js";

describe("when a sleeping domain is woken", () => {
  it("a long sleep ends on the next boundary of its grain, never before its timer, at most 4 ms or 1/32 of the sleep late", () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 40, max: 1e5, noNaN: true }), (now, ms) => {
      const at = wakeTime(now, ms);
      const grain = timerGrain(ms);
      expect(at).toBeGreaterThanOrEqual(now + ms);
      expect(at - (now + ms)).toBeLessThan(Math.max(4, ms / 32));
      expect(at % grain).toBe(0);
      expect([4, 8, 16]).toContain(grain);
    }));
  });

  it("the grain grows with the sleep: 4 ms up to 255 ms, 8 ms up to 511 ms, then 16 ms", () => {
    expect([40, 255, 256, 511, 512, 1000, 60_000].map(timerGrain)).toEqual([4, 4, 8, 8, 16, 16, 16]);
  });

  it("so domains with a 1 s tick whose timers fall in one 16 ms grain wake together", () => {
    expect(new Set([1024.5, 1031.9, 1039.99].map((t) => wakeTime(t - 1000, 1000))).size).toBe(1);
  });

  it("a short sleep ends exactly at its timer", () => {
    expect(wakeTime(1000.25, 1.5)).toBe(1001.75);
    expect(wakeTime(7, 39)).toBe(46);
  });
});

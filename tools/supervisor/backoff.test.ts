import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Backoff, DEFAULT_BACKOFF } from "./backoff.js";

describe("restart backoff", () => {
  it("doubles from 100 ms to 5 s", () => {
    const b = new Backoff();
    expect([0, 0, 0, 0, 0, 0, 0, 0].map(() => b.afterExit(10))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it("starts again after a stable minute, and stays within bounds", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 40 }), (runs) => {
      const b = new Backoff();
      let expected = DEFAULT_BACKOFF.initialMs;
      for (const ran of runs) {
        if (ran >= DEFAULT_BACKOFF.stableMs) expected = DEFAULT_BACKOFF.initialMs;
        const d = b.afterExit(ran);
        expect(d).toBe(expected);
        expect(d).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.initialMs);
        expect(d).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
        expected = Math.min(DEFAULT_BACKOFF.maxMs, expected * 2);
      }
    }));
  });
});

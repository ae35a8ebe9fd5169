import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Backoff, DEFAULT_BACKOFF } from "./backoff.js";

describe("restart backoff", () => {
  it("doubles from 100 ms to 5 s while the service dies before it is ready", () => {
    const b = new Backoff();
    expect([0, 0, 0, 0, 0, 0, 0, 0].map(() => b.afterExit(false))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it("starts again from 100 ms after a service that was ready, and stays within bounds", () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), (readies) => {
      const b = new Backoff();
      let expected = DEFAULT_BACKOFF.initialMs;
      for (const ready of readies) {
        if (ready) expected = DEFAULT_BACKOFF.initialMs;
        const d = b.afterExit(ready);
        expect(d).toBe(expected);
        expect(d).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.initialMs);
        expect(d).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
        expected = Math.min(DEFAULT_BACKOFF.maxMs, expected * 2);
      }
    }));
  });
});

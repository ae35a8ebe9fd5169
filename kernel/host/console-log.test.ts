import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConsoleLog } from "./console-log.js";

describe("a domain's console log", () => {
  it("keeps exactly the last `limit` bytes, whatever the sizes of the appends", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 40 }), fc.nat(6000), (limit, appends, n) => {
      const log = new ConsoleLog(limit);
      let all = new Uint8Array(0);
      for (const a of appends) {
        log.append(a);
        const joined = new Uint8Array(all.length + a.length);
        joined.set(all);
        joined.set(a, all.length);
        all = joined.subarray(Math.max(0, joined.length - limit));
        expect(log.length).toBe(all.length);
      }
      expect(log.last()).toEqual(all);
      expect(log.last(n)).toEqual(all.subarray(Math.max(0, all.length - n)));
    }), { numRuns: 500 });
  });
});

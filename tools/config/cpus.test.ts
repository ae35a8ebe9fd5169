import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValueError } from "./config-error.js";
import { parseCpus, formatCpus, MAX_PCPUS } from "./cpus.js";

describe("cpus", () => {
  it.each([
    ["0-3,^2", [0, 1, 3]],
    ["1,3,5-7", [1, 3, 5, 6, 7]],
    ["3", [3]],
    [" 0 , 2 ", [0, 2]],
    ["0-7,^2-5", [0, 1, 6, 7]],
    ["2,1,2", [1, 2]],
    // Xen reads items in order: an exclusion only removes what came before it.
    ["^2,0-3", [0, 1, 2, 3]],
    ["255", [255]],
  ])("reads %j", (text, cpus) => {
    expect(parseCpus(text)).toEqual(cpus);
  });

  it.each([
    ["", "is not a CPU number or range"],
    ["a", "is not a CPU number or range"],
    ["1-", "is not a CPU number or range"],
    ["1,,2", "is not a CPU number or range"],
    ["-1", "is not a CPU number or range"],
    ["3-1", "runs backwards"],
    ["256", "out of range (0 to 255)"],
    ["0-300", "out of range"],
    ["1,^1", "leaves no CPU"],
    ["9".repeat(5000), "longer than 4096"],
  ])("refuses %j: %s", (text, message) => {
    expect(() => parseCpus(text)).toThrow(ValueError);
    expect(() => parseCpus(text)).toThrow(message);
  });

  it("writes runs of three or more as ranges", () => {
    expect(formatCpus([0, 1, 2, 3, 5, 7, 8])).toBe("0-3,5,7,8");
    expect(formatCpus([4])).toBe("4");
  });

  it("round-trips any set of CPUs", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: MAX_PCPUS - 1 }), { minLength: 1, maxLength: 40 }), (cpus) => {
      expect(parseCpus(formatCpus(cpus))).toEqual([...cpus].sort((a, b) => a - b));
    }), { numRuns: 1000 });
  });

  it("either parses or throws ValueError, for any text", () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^[\d,^ -]{0,20}$/));
    fc.assert(fc.property(text, (t) => {
      try {
        const cpus = parseCpus(t);
        expect(cpus.length).toBeGreaterThan(0);
        expect(cpus.every((c) => c >= 0 && c < MAX_PCPUS)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 3000 });
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatAffinity, formatList } from "./format.js";
import { parseCpus } from "../config/cpus.js";

describe("xm output", () => {
  it("prints xm list in the manual's columns, VCPUs counting those up", () => {
    const text = formatList([
      { name: "Domain-0", domid: 0, memoryMiB: 457, maxmemMiB: 457, vcpus: 2, online: [0, 1], state: "running", cpuTimeS: 2712.9, weight: 256, cap: 0, startTime: 0, managed: false, cpus: [] },
      { name: "OES", domid: 7, memoryMiB: 512, maxmemMiB: 512, vcpus: 2, online: [0], state: "blocked", cpuTimeS: 16.3, weight: 256, cap: 0, startTime: 0, managed: false, cpus: [] },
      { name: "SLES10", domid: null, memoryMiB: 512, maxmemMiB: 512, vcpus: 1, online: [0], state: null, cpuTimeS: 0, weight: 256, cap: 0, startTime: null, managed: true, cpus: [] },
    ]);
    expect(text).toBe([
      "Name                                        ID   Mem VCPUs      State   Time(s)",
      "Domain-0                                     0   457     2     r-----   2712.9",
      "OES                                          7   512     1     -b----     16.3",
      "SLES10                                           512     1                 0.0",
      "",
    ].join("\n"));
  });

  it("writes affinity as ranges that read back to the same CPUs", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 63 }), (cpus) => {
      const text = formatAffinity(cpus, 64);
      expect(parseCpus(text)).toEqual([...cpus].sort((a, b) => a - b));
    }));
    expect(formatAffinity([], 4)).toBe("any cpu");
    expect(formatAffinity([0, 1, 2, 3], 4)).toBe("any cpu");
  });
});

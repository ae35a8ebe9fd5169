import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { memoryMiB, parseArgs, XmUsageError, type OptionSpec } from "./args.js";
import { globalOptions } from "./cli.js";

const SPECS: OptionSpec[] = [
  { name: "long", short: "l", long: "long" },
  { name: "weight", short: "w", long: "weight", value: true },
  { name: "cap", short: "c", long: "cap", value: true },
];

const operand = fc.stringMatching(/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,10}$/);

describe("xm argument parsing", () => {
  it("reads the getopt forms", () => {
    const a = parseArgs("t", ["-lw", "256", "dom", "--cap=50", "--", "-x"], SPECS);
    expect([...a.options]).toEqual([["long", true], ["weight", "256"], ["cap", "50"]]);
    expect(a.operands).toEqual(["dom", "-x"]);
    expect(parseArgs("t", ["-w256", "--lo"], SPECS).options.get("weight")).toBe("256");
    expect(() => parseArgs("t", ["-w"], SPECS)).toThrow("option -w requires an argument");
    expect(() => parseArgs("t", ["--long=1"], SPECS)).toThrow("must not have an argument");
    expect(() => parseArgs("t", ["-q"], SPECS)).toThrow("option -q not recognized");
  });

  it("keeps operands in order, wherever the options are", () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(operand.map((o) => ({ o })), fc.constantFrom(["-l"], ["--long"], ["-w", "7"], ["--cap=3"]).map((opt) => ({ opt })))),
      (items) => {
        const args = items.flatMap((i) => ("o" in i ? [i.o] : i.opt));
        const parsed = parseArgs("t", args, SPECS);
        expect(parsed.operands).toEqual(items.flatMap((i) => ("o" in i ? [i.o] : [])));
      },
    ));
  });

  it("throws only XmUsageError on any input", () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 8 }), { maxLength: 8 }), (args) => {
      try {
        parseArgs("t", args, SPECS);
      } catch (e) {
        expect(e).toBeInstanceOf(XmUsageError);
      }
    }), { numRuns: 2000 });
  });

  it("reads memory sizes as Xen's int_unit with megabytes by default", () => {
    expect(memoryMiB("t", "256")).toBe(256);
    expect(memoryMiB("t", "1g")).toBe(1024);
    expect(memoryMiB("t", "524288k")).toBe(512);
    fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 20 }), (n) => {
      expect(memoryMiB("t", String(n))).toBe(n);
      expect(memoryMiB("t", `${n}M`)).toBe(n);
    }));
    fc.assert(fc.property(fc.string({ maxLength: 10 }), (s) => {
      try {
        const v = memoryMiB("t", s);
        expect(v).toBeGreaterThanOrEqual(1);
      } catch (e) {
        expect(e).toBeInstanceOf(XmUsageError);
      }
    }));
  });

  it("takes --json and --home out of any position", () => {
    fc.assert(fc.property(fc.array(operand, { maxLength: 5 }), fc.nat({ max: 5 }), (words, at) => {
      const args = [...words];
      args.splice(Math.min(at, args.length), 0, "--json");
      const g = globalOptions(args);
      expect(g.json).toBe(true);
      expect(g.rest).toEqual(words);
    }));
    expect(globalOptions(["--home", "/h", "list"]).home).toBe("/h");
  });
});

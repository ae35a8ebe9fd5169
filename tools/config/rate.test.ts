import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValueError } from "./config-error.js";
import { parseRate, formatRate, validRate, DEFAULT_RATE_WINDOW_US } from "./rate.js";

describe("vif rate", () => {
  it.each([
    // The manual's examples (§5.3.1): 100 megabit per second, with Xen's 50 ms window or a 20 ms one.
    ["100Mb/s", 12_500_000, DEFAULT_RATE_WINDOW_US],
    ["100Mb/s@20ms", 12_500_000, 20_000],
    ["10MB/s", 10_000_000, 50_000],
    ["1Gb/s@1s", 125_000_000, 1_000_000],
    ["64Kb/s@500us", 8_000, 500],
    ["8b/s@1s", 1, 1_000_000],
    ["12B/s@1s", 12, 1_000_000],
    ["3GB/s@1000us", 3_000_000_000, 1000],
    ["100b/s@1s", 12, 1_000_000], // bits round down to whole bytes, as in Xen
  ])("reads %j", (text, bytesPerSecond, windowUs) => {
    expect(parseRate(text)).toEqual({ bytesPerSecond, windowUs });
  });

  it.each([
    ["", "is not NUMBER UNIT/s[@WINDOW]"],
    ["100mb/s", "is not NUMBER UNIT/s[@WINDOW]"],
    ["100 Mb/s", "is not NUMBER UNIT/s[@WINDOW]"],
    ["100Mb", "is not NUMBER UNIT/s[@WINDOW]"],
    ["100Mb/s@20", "is not NUMBER UNIT/s[@WINDOW]"],
    ["100Mb/s@20ns", "is not NUMBER UNIT/s[@WINDOW]"],
    ["-1Mb/s", "is not NUMBER UNIT/s[@WINDOW]"],
    ["0Mb/s", "less than one byte per window"],
    ["1b/s", "less than one byte per window"],
    ["10B/s@1us", "less than one byte per window"],
    ["100Mb/s@0ms", "the window must be"],
    ["100Mb/s@5000s", "the window must be"],
    ["100GB/s@1s", "more than 4294967295 bytes per window"],
    ["99999999999999999999GB/s", "more than 4294967295 bytes per window"],
  ])("refuses %j: %s", (text, message) => {
    expect(() => parseRate(text)).toThrow(ValueError);
    expect(() => parseRate(text)).toThrow(message);
  });

  it("writes rates in the fewest digits and leaves out the default window", () => {
    expect(formatRate(parseRate("100Mb/s"))).toBe("100Mb/s");
    expect(formatRate(parseRate("100Mb/s@20ms"))).toBe("100Mb/s@20ms");
    expect(formatRate(parseRate("10MB/s@1000ms"))).toBe("10MB/s@1s");
    expect(formatRate({ bytesPerSecond: 1234, windowUs: 1_000_001 })).toBe("1234B/s@1000001us");
    expect(() => formatRate({ bytesPerSecond: 0.5, windowUs: 1000 })).toThrow(ValueError);
  });

  // A window, then a rate that gives from 1 to 2^32 - 1 bytes per window.
  const rate = fc.integer({ min: 1, max: 0xffffffff }).chain((windowUs) =>
    fc.integer({ min: Math.ceil(1e6 / windowUs), max: Math.min(2 ** 40, Math.floor((0xffffffff * 1e6) / windowUs)) })
      .map((bytesPerSecond) => ({ bytesPerSecond, windowUs }))).filter(validRate);

  it("round-trips any valid rate (format → parse)", () => {
    fc.assert(fc.property(rate, (r) => {
      expect(parseRate(formatRate(r))).toEqual(r);
    }), { numRuns: 2000 });
  });

  it("reads back what it writes for any rate text it accepts (parse → format → parse)", () => {
    const text = fc.tuple(fc.integer({ min: 0, max: 100000 }), fc.constantFrom("", "K", "M", "G"), fc.constantFrom("b", "B"),
      fc.option(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.constantFrom("", "m", "u")))).map(
      ([n, p, u, w]) => `${n}${p}${u}/s${w === null ? "" : `@${w[0]}${w[1]}s`}`);
    fc.assert(fc.property(text, (t) => {
      let r;
      try {
        r = parseRate(t);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
        return;
      }
      expect(parseRate(formatRate(r))).toEqual(r);
    }), { numRuns: 2000 });
  });

  it("either parses or throws ValueError, for any text", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^\d{0,25}[GMKgmk]?[Bb]?\/?s?@?\d{0,12}[mu]?s?$/)), (t) => {
      try {
        expect(validRate(parseRate(t))).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 3000 });
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeFrame, encodeRawFrame, FrameReader, FrameError } from "./frames.js";

describe("frames", () => {
  it("delivers every message whatever the chunking", () => {
    fc.assert(fc.property(
      fc.array(fc.jsonValue(), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 }),
      (messages, cuts) => {
        // msgpackr renames a "__proto__" key on decoding, so no message can set an object's prototype.
        fc.pre(!JSON.stringify(messages).includes('"__proto__"'));
        const bytes = Buffer.concat(messages.map(encodeFrame));
        const reader = new FrameReader();
        const got: unknown[] = [];
        let pos = 0;
        for (let i = 0; pos < bytes.length; i++) {
          const n = cuts[i % cuts.length];
          got.push(...reader.push(bytes.subarray(pos, pos + n)));
          pos += n;
        }
        expect(got).toEqual(JSON.parse(JSON.stringify(messages)));
      },
    ), { numRuns: 300 });
  });

  it("hands raw bytes over with their message, between plain frames, whatever the chunking", () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1 << 20 }), fc.option(fc.uint8Array({ maxLength: 300 }))), { maxLength: 6 }),
      fc.integer({ min: 1, max: 97 }),
      (items, cut) => {
        const bytes = Buffer.concat(items.flatMap(([tag, raw]) => raw === null ? [encodeFrame({ tag })] : encodeRawFrame({ tag }, raw)));
        const reader = new FrameReader();
        const got: unknown[] = [];
        for (let pos = 0; pos < bytes.length; pos += cut) got.push(...reader.push(bytes.subarray(pos, pos + cut)));
        expect(got.map((m) => {
          const { tag, raw } = m as { tag: number; raw?: Uint8Array };
          return raw === undefined ? { tag } : { tag, raw: [...raw] };
        })).toEqual(items.map(([tag, raw]) => raw === null ? { tag } : { tag, raw: [...raw] }));
      },
    ), { numRuns: 300 });
  });

  it("refuses a raw frame whose message length overruns it", () => {
    const frame = Buffer.alloc(12);
    frame.writeUInt32LE((8 | 0x8000_0000) >>> 0, 0);
    frame.writeUInt32LE(100, 4);
    expect(() => new FrameReader().push(frame)).toThrow(/overruns/);
  });

  it("never lets a message set an object's prototype", () => {
    const [m] = new FrameReader().push(encodeFrame(JSON.parse('{"__proto__": {"polluted": true}}'))) as object[];
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("refuses an oversized length before buffering it", () => {
    const reader = new FrameReader(1024);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(1025, 0);
    expect(() => reader.push(head)).toThrow(FrameError);
  });

  it("throws only FrameError on random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const reader = new FrameReader(4096);
      try {
        reader.push(Buffer.from(bytes));
      } catch (e) {
        expect(e).toBeInstanceOf(FrameError);
      }
    }), { numRuns: 2000 });
  });
});

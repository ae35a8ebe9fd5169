import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeFrame, FrameReader, FrameError } from "./frames.js";

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

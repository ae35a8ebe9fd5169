import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeFrame, encodeRawFrame, FrameReader, FrameError, ReadBuffers } from "./frames.js";

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

  // Raw frames between plain ones, as [tag, raw or null], and the bytes of them all.
  const rawItems = fc.array(fc.tuple(fc.integer({ min: 0, max: 1 << 20 }), fc.option(fc.uint8Array({ maxLength: 300 }))), { maxLength: 6 });
  const streamOf = (items: [number, Uint8Array | null][]): Buffer =>
    Buffer.concat(items.flatMap(([tag, raw]) => raw === null ? [encodeFrame({ tag })] : encodeRawFrame({ tag }, raw)));
  const shown = (got: unknown[]): unknown[] => got.map((m) => {
    const { tag, raw } = m as { tag: number; raw?: Uint8Array };
    return raw === undefined ? { tag } : { tag, raw: [...raw] };
  });
  const wanted = (items: [number, Uint8Array | null][]): unknown[] => items.map(([tag, raw]) => raw === null ? { tag } : { tag, raw: [...raw] });

  it("assembles frames from chunks in separate buffers, each chunk copied or not", () => {
    fc.assert(fc.property(rawItems, fc.array(fc.tuple(fc.integer({ min: 1, max: 97 }), fc.boolean()), { minLength: 1, maxLength: 8 }), (items, cuts) => {
      const bytes = streamOf(items);
      const reader = new FrameReader();
      const got: unknown[] = [];
      for (let pos = 0, i = 0; pos < bytes.length; i++) {
        const [n, copy] = cuts[i % cuts.length];
        const piece = bytes.subarray(pos, pos + n);
        got.push(...reader.push(copy ? Buffer.from(piece) : piece));
        pos += n;
      }
      expect(shown(got)).toEqual(wanted(items));
    }), { numRuns: 300 });
  });

  it("copies no raw bytes when the chunks lie end to end in memory", () => {
    fc.assert(fc.property(rawItems, fc.integer({ min: 1, max: 97 }), (items, cut) => {
      const bytes = streamOf(items);
      const reader = new FrameReader();
      const got: unknown[] = [];
      for (let pos = 0; pos < bytes.length; pos += cut) got.push(...reader.push(bytes.subarray(pos, pos + cut)));
      for (const m of got as { raw?: Uint8Array }[]) if (m.raw !== undefined) expect(m.raw.buffer).toBe(bytes.buffer);
    }), { numRuns: 200 });
  });

  it("reads through ReadBuffers: frames cut between reads and between buffers arrive whole", () => {
    fc.assert(fc.property(rawItems, fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 64, max: 512 }), (items, reads, size) => {
      const bytes = streamOf(items);
      // Small buffers, so that reads often begin a new one.
      const buffers = new ReadBuffers(size, 32);
      const reader = new FrameReader();
      const got: unknown[] = [];
      for (let pos = 0, i = 0; pos < bytes.length; i++) {
        const into = buffers.next();
        const n = bytes.copy(into, 0, pos, pos + Math.min(reads[i % reads.length], into.length));
        got.push(...reader.push(buffers.took(into, n)));
        pos += n;
      }
      expect(shown(got)).toEqual(wanted(items));
    }), { numRuns: 300 });
  });

  it("frames msgpack larger than msgpackr's buffer, and raw bytes given in pieces, whole", () => {
    const big = { data: new Uint8Array(100_000).fill(7), text: "x".repeat(20_000) };
    const pieces = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array(70_000).fill(3), new Uint8Array([4])];
    const bytes = Buffer.concat([encodeFrame(big), ...encodeRawFrame(big, ...pieces), encodeFrame({ after: 1 })]);
    const got = new FrameReader().push(bytes) as Record<string, unknown>[];
    expect(got).toHaveLength(3);
    expect(got[0]).toEqual({ data: Buffer.from(big.data), text: big.text });
    expect([...(got[1].raw as Uint8Array)]).toEqual(pieces.flatMap((p) => [...p]));
    expect(got[2]).toEqual({ after: 1 });
  });

  it("refuses a frame of no bytes", () => {
    expect(() => new FrameReader().push(Buffer.alloc(4))).toThrow(FrameError);
    expect(() => new FrameReader().push(Buffer.from([0, 0, 0, 0x80]))).toThrow(FrameError);
  });

  it("keeps a raw frame's message a plain object whatever it decodes to", () => {
    const [m] = new FrameReader().push(Buffer.concat(encodeRawFrame(new Uint8Array([1, 2]), new Uint8Array([9])))) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect([...m.raw as Uint8Array]).toEqual([9]);
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

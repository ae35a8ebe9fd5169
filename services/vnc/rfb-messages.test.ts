// The client-message parser: the messages come out the same however the stream is cut, and
// garbage ends in RfbProtocolError (never another exception) with bounded buffering.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClientMessageParser, MAX_CUT_TEXT, MAX_ENCODINGS, RfbProtocolError, type ClientMessage } from "./rfb-messages.js";
import { COLOUR_MAP_FORMAT, SERVER_PIXEL_FORMAT } from "./pixel-format.js";
import { encodeClientMessage } from "../../test/vnc/client-messages.js";

const u16 = fc.integer({ min: 0, max: 0xffff });

const message: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.constantFrom(SERVER_PIXEL_FORMAT, COLOUR_MAP_FORMAT, { ...SERVER_PIXEL_FORMAT, bigEndian: true, bitsPerPixel: 16, depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 })
    .map((format): ClientMessage => ({ type: "setPixelFormat", format })),
  fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 40 }).map((encodings): ClientMessage => ({ type: "setEncodings", encodings })),
  fc.record({ incremental: fc.boolean(), x: u16, y: u16, w: u16, h: u16 }).map((r): ClientMessage => ({ type: "updateRequest", ...r })),
  fc.record({ down: fc.boolean(), keysym: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }).map((r): ClientMessage => ({ type: "key", ...r })),
  fc.record({ buttons: fc.integer({ min: 0, max: 255 }), x: u16, y: u16 }).map((r): ClientMessage => ({ type: "pointer", ...r })),
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 300 }).map((text): ClientMessage => ({ type: "cutText", text })),
);

/** Cuts `bytes` at the given points (taken modulo its length). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  return out;
}

describe("client message parser", () => {
  it("gives the messages that were sent, however the stream is chunked", () => {
    fc.assert(fc.property(fc.array(message, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 60 }), (messages, cuts) => {
      const bytes = Buffer.concat(messages.map(encodeClientMessage));
      const parser = new ClientMessageParser();
      const got = chunk(bytes, cuts).flatMap((c) => parser.push(c));
      expect(got).toEqual(messages);
      expect(parser.buffered).toBe(0);
    }));
  });

  it("ends garbage with RfbProtocolError or waits for more, holding a bounded amount", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), fc.array(fc.nat(), { maxLength: 40 }), (bytes, cuts) => {
      const parser = new ClientMessageParser();
      try {
        for (const c of chunk(bytes, cuts)) parser.push(c);
      } catch (e) {
        expect(e).toBeInstanceOf(RfbProtocolError);
        return;
      }
      expect(parser.buffered).toBeLessThanOrEqual(MAX_CUT_TEXT + 8);
    }), { numRuns: 2000 });
  });

  it("refuses oversized messages from their header, before their body arrives", () => {
    expect(() => new ClientMessageParser().push(Buffer.from([6, 0, 0, 0, 0, 0x10, 0, 1]))).toThrow("ClientCutText of 1048577 bytes");
    expect(new ClientMessageParser().push(Buffer.from([6, 0, 0, 0, 0, 0x10, 0, 0]))).toEqual([]);
    expect(() => new ClientMessageParser().push(Buffer.from([2, 0, 4, 1]))).toThrow(`SetEncodings with 1025 encodings (at most ${MAX_ENCODINGS})`);
  });

  it("takes a 1 MiB clipboard dripped a byte at a time", () => {
    const text = "x".repeat(MAX_CUT_TEXT);
    const bytes = encodeClientMessage({ type: "cutText", text });
    const parser = new ClientMessageParser();
    const got: ClientMessage[] = [];
    for (let i = 0; i < bytes.length; i++) got.push(...parser.push(bytes.subarray(i, i + 1)));
    expect(got).toEqual([{ type: "cutText", text }]);
  });
});

// Framing for every Domus socket protocol: a u32 little-endian length, then one msgpack message.
// Bulk data (disk sectors, packets) travels as raw bytes after the message in the same frame,
// since packing it into msgpack would copy it: then bit 31 of the length is set and a second u32
// gives the msgpack part's length; the reader hands the bytes over as the message's `raw` field.
// The reader is incremental and bounded: a length over the limit is a protocol error, never an
// allocation.

import { Packr } from "msgpackr";
import { MAX_BULK_FRAME_BYTES, MAX_FRAME_BYTES } from "./protocol.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });

export class FrameError extends Error {
  override name = "FrameError";
}

const RAW_FLAG = 0x8000_0000;

/** A message with bulk bytes after it; `raw` is not copied until the socket writes it. */
export function encodeRawFrame(message: object, raw: Uint8Array): Buffer[] {
  const body = packr.pack(message);
  const head = Buffer.allocUnsafe(8 + body.length);
  head.writeUInt32LE(((4 + body.length + raw.length) | RAW_FLAG) >>> 0, 0);
  head.writeUInt32LE(body.length, 4);
  body.copy(head, 8);
  return [head, Buffer.from(raw.buffer, raw.byteOffset, raw.length)];
}

export function encodeFrame(message: unknown): Buffer {
  const body = packr.pack(message);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Collects bytes from a stream and yields each complete message. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxBytes = MAX_FRAME_BYTES, private readonly maxBulkBytes = MAX_BULK_FRAME_BYTES) {}

  /** Add bytes; returns the messages completed by them. Throws FrameError on a bad frame. */
  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const word = head.readUInt32LE(0);
      const len = word & ~RAW_FLAG;
      const limit = (word & RAW_FLAG) === 0 ? this.maxBytes : this.maxBulkBytes;
      if (len > limit) throw new FrameError(`frame of ${len} bytes exceeds the ${limit}-byte limit`);
      if (this.buffered < 4 + len) break;
      const frame = this.take(4 + len);
      out.push((word & RAW_FLAG) === 0 ? decode(frame.subarray(4)) : decodeWithRaw(frame.subarray(4)));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}

function decode(body: Buffer): unknown {
  try {
    return packr.unpack(body);
  } catch (e) {
    throw new FrameError(`undecodable msgpack frame: ${(e as Error).message}`);
  }
}

function decodeWithRaw(body: Buffer): unknown {
  if (body.length < 4) throw new FrameError("raw frame too short for its header length");
  const headLen = body.readUInt32LE(0);
  if (headLen > body.length - 4) throw new FrameError(`raw frame's message of ${headLen} bytes overruns the frame`);
  const message = decode(body.subarray(4, 4 + headLen));
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new FrameError("a raw frame's message is not a map");
  }
  // A view: the reader never reuses a frame's bytes, so they stay valid for the receiver.
  return { ...message, raw: new Uint8Array(body.buffer, body.byteOffset + 4 + headLen, body.length - 4 - headLen) };
}

// Framing for every Domus socket protocol: a u32 little-endian length, then one msgpack message.
// The reader is incremental and bounded: a length over the limit is a protocol error, never an
// allocation.

import { Packr } from "msgpackr";
import { MAX_FRAME_BYTES } from "./protocol.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });

export class FrameError extends Error {
  override name = "FrameError";
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

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  /** Add bytes; returns the messages completed by them. Throws FrameError on a bad frame. */
  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const len = head.readUInt32LE(0);
      if (len > this.maxBytes) throw new FrameError(`frame of ${len} bytes exceeds the ${this.maxBytes}-byte limit`);
      if (this.buffered < 4 + len) break;
      const frame = this.take(4 + len);
      try {
        out.push(packr.unpack(frame.subarray(4)));
      } catch (e) {
        throw new FrameError(`undecodable msgpack frame: ${(e as Error).message}`);
      }
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

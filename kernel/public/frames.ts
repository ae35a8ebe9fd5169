// Framing for every Domus socket protocol: a u32 little-endian length, then one msgpack message.
// Bulk data (disk sectors, packets) travels as raw bytes after the message in the same frame,
// since packing it into msgpack would copy it: then bit 31 of the length is set and a second u32
// gives the msgpack part's length; the reader hands the bytes over as the message's `raw` field.
// The reader is incremental and bounded: a length over the limit is a protocol error, never an
// allocation.
//
// Neither side copies bulk bytes it need not. A frame is packed by msgpackr behind room left for
// its length words, in msgpackr's own buffer (which it never writes over), so a frame is one
// buffer, and a raw frame is that buffer and the caller's bytes, written together. The reader
// decodes a frame where it lies in the chunk it arrived in; a frame cut across chunks is
// assembled once, or not at all when the chunks lie end to end in memory (a reader whose socket
// reads into one buffer one read after another: ReadBuffers below).

import { Packr, RESERVE_START_SPACE } from "msgpackr";
import { MAX_BULK_FRAME_BYTES, MAX_FRAME_BYTES } from "./protocol.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });

export class FrameError extends Error {
  override name = "FrameError";
}

const RAW_FLAG = 0x8000_0000;

/**
 * A message with bulk bytes after it: `raw`, one piece after another (the receiver gets them as
 * one). The pieces are not copied until the socket writes them.
 */
export function encodeRawFrame(message: object, ...raw: Uint8Array[]): Buffer[] {
  const head = packr.pack(message, RESERVE_START_SPACE | 8);
  const bodyLength = head.length - 8;
  const rawLength = raw.reduce((n, r) => n + r.length, 0);
  head.writeUInt32LE(((4 + bodyLength + rawLength) | RAW_FLAG) >>> 0, 0);
  head.writeUInt32LE(bodyLength, 4);
  const pieces = raw.filter((r) => r.length > 0).map((r) => Buffer.from(r.buffer, r.byteOffset, r.length));
  return [head, ...pieces];
}

export function encodeFrame(message: unknown): Buffer {
  const frame = packr.pack(message, RESERVE_START_SPACE | 4);
  frame.writeUInt32LE(frame.length - 4, 0);
  return frame;
}

/** Collects bytes from a stream and yields each complete message. */
export class FrameReader {
  /** The first bytes of a length word that the end of a chunk cut off. */
  private readonly head = Buffer.alloc(4);
  private headBytes = 0;
  /** Whether a frame is under way: its length word is known, its body has not all arrived. */
  private underway = false;
  private word = 0;
  /** Its body's length, and what has arrived of it in pieces (views of the chunks, not copies). */
  private need = 0;
  private pieces: Buffer[] = [];
  private arrived = 0;

  constructor(private readonly maxBytes = MAX_FRAME_BYTES, private readonly maxBulkBytes = MAX_BULK_FRAME_BYTES) {}

  /**
   * Add bytes; returns the messages completed by them. Throws FrameError on a bad frame. The
   * chunk must not change afterwards: messages and their raw bytes may be views of it.
   */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    let pos = 0;
    if (this.headBytes > 0) {
      pos = Math.min(4 - this.headBytes, chunk.length);
      chunk.copy(this.head, this.headBytes, 0, pos);
      this.headBytes += pos;
      if (this.headBytes < 4) return out;
      this.headBytes = 0;
      this.begin(this.head.readUInt32LE(0));
    }
    if (this.underway) {
      const n = Math.min(this.need - this.arrived, chunk.length - pos);
      this.add(chunk.subarray(pos, pos + n));
      pos += n;
      if (this.arrived < this.need) return out;
      out.push(decodeFrame(this.word, this.whole(), 0, this.need));
      this.underway = false;
      this.pieces = [];
    }
    while (chunk.length - pos >= 4) {
      const word = chunk.readUInt32LE(pos);
      const end = pos + 4 + this.bodyLength(word);
      if (end > chunk.length) {
        this.begin(word);
        this.add(chunk.subarray(pos + 4));
        return out;
      }
      out.push(decodeFrame(word, chunk, pos + 4, end));
      pos = end;
    }
    this.headBytes = chunk.copy(this.head, 0, pos);
    return out;
  }

  /** The length of the body a length word announces; over the limit, a FrameError. */
  private bodyLength(word: number): number {
    const len = word & ~RAW_FLAG;
    const limit = (word & RAW_FLAG) === 0 ? this.maxBytes : this.maxBulkBytes;
    if (len > limit) throw new FrameError(`frame of ${len} bytes exceeds the ${limit}-byte limit`);
    return len;
  }

  private begin(word: number): void {
    this.need = this.bodyLength(word);
    this.word = word;
    this.underway = true;
    this.arrived = 0;
  }

  /** A piece of the body under way; one that follows the previous piece in memory extends it. */
  private add(piece: Buffer): void {
    this.arrived += piece.length;
    const last = this.pieces.length - 1;
    const prev = this.pieces[last];
    if (prev !== undefined && prev.buffer === piece.buffer && prev.byteOffset + prev.length === piece.byteOffset) {
      this.pieces[last] = Buffer.from(prev.buffer, prev.byteOffset, prev.length + piece.length);
    } else if (piece.length > 0) this.pieces.push(piece);
  }

  /** The body under way, complete: its one piece, or the pieces copied together. */
  private whole(): Buffer {
    return this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.arrived);
  }
}

function decodeFrame(word: number, buf: Buffer, start: number, end: number): unknown {
  return (word & RAW_FLAG) === 0 ? decode(buf, start, end) : decodeWithRaw(buf, start, end);
}

function decode(buf: Buffer, start: number, end: number): unknown {
  if (end === start) throw new FrameError("undecodable msgpack frame: no bytes");
  try {
    return packr.unpack(buf, { start, end });
  } catch (e) {
    throw new FrameError(`undecodable msgpack frame: ${(e as Error).message}`);
  }
}

function decodeWithRaw(buf: Buffer, start: number, end: number): unknown {
  if (end - start < 4) throw new FrameError("raw frame too short for its header length");
  const headLen = buf.readUInt32LE(start);
  if (headLen > end - start - 4) throw new FrameError(`raw frame's message of ${headLen} bytes overruns the frame`);
  const message = decode(buf, start + 4, start + 4 + headLen);
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    throw new FrameError("a raw frame's message is not a map");
  }
  // A view: the reader never reuses a frame's bytes, so they stay valid for the receiver.
  const raw = new Uint8Array(buf.buffer, buf.byteOffset + start + 4 + headLen, end - start - 4 - headLen);
  // A msgpack map decodes as a plain object, which takes the bytes itself; anything else is copied
  // into one.
  if (Object.getPrototypeOf(message) !== Object.prototype) return { ...message, raw };
  (message as { raw?: Uint8Array }).raw = raw;
  return message;
}

/**
 * Buffers for a socket to read into (net.connect's `onread`), each one the rest of the last:
 * successive reads lie end to end in memory, so a FrameReader joins a frame cut between two
 * reads without copying it. A buffer is never read into twice (the frames handed out are views
 * of it); a new one is taken when less than `least` bytes are left (a read of a Unix socket
 * brings at most its send buffer, some 200 KiB). 1 MiB: large enough that few frames straddle
 * two buffers, small enough that a message kept long pins little and that malloc hands the
 * memory of freed buffers out again rather than fresh pages to fault in.
 */
export class ReadBuffers {
  private slab: Buffer;
  private used = 0;

  constructor(private readonly size = 1024 * 1024, private readonly least = 256 * 1024) {
    this.slab = Buffer.allocUnsafe(size);
  }

  /** Where the next read goes. */
  next(): Buffer {
    if (this.slab.length - this.used < this.least) {
      this.slab = Buffer.allocUnsafe(this.size);
      this.used = 0;
    }
    return this.slab.subarray(this.used);
  }

  /** `n` bytes were read into `buf` (the last `next()`): their view, never to be read into again. */
  took(buf: Uint8Array, n: number): Buffer {
    this.used += n;
    return Buffer.from(buf.buffer, buf.byteOffset, n);
  }
}

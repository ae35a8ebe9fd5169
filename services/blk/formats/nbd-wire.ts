// The NBD wire format, client side (doc/proto.md in NetworkBlockDevice/nbd): encoders for what a
// client sends, and decoders for what a server sends. All numbers are big-endian.
//
// Decoders read from a ByteQueue that the socket fills in pieces of any size. Each returns
// undefined while its message is incomplete, and throws WireError as soon as the bytes at hand
// cannot start a valid message. Every length a server announces is checked before any byte of its
// payload is awaited, so a hostile server cannot make the client buffer without bound.

import { Buffer } from "node:buffer";

export const NBDMAGIC = 0x4e42444d41474943n; // "NBDMAGIC"
export const IHAVEOPT = 0x49484156454f5054n; // "IHAVEOPT"
/** The magic an oldstyle server sends instead of IHAVEOPT: named only to explain the refusal. */
const OLDSTYLE_MAGIC = 0x00420281861253n;
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
/** Structured replies are never negotiated; the magic only names the violation. */
const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

// Handshake flags (server) and client flags.
export const FLAG_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_NO_ZEROES = 1 << 1;
export const FLAG_C_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_C_NO_ZEROES = 1 << 1;

// Options and option replies.
export const OPT_EXPORT_NAME = 1;
export const OPT_ABORT = 2;
export const OPT_GO = 7;
export const REP_ACK = 1;
export const REP_INFO = 3;
const REP_ERR = 0x8000_0000;
export const REP_ERR_UNSUP = REP_ERR + 1;
export const REP_ERR_UNKNOWN = REP_ERR + 6;
export const INFO_EXPORT = 0;
export const INFO_BLOCK_SIZE = 3;

// Transmission flags.
export const FLAG_HAS_FLAGS = 1 << 0;
export const FLAG_READ_ONLY = 1 << 1;
export const FLAG_SEND_FLUSH = 1 << 2;

// Commands.
export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;

/** Option replies carry at most an export name or an error message; anything longer is abuse. */
export const MAX_OPTION_REPLY = 64 * 1024;
/** Export names (and other strings) are at most 4096 bytes by the spec. */
export const MAX_STRING = 4096;
/** What a server must accept in one request when it advertises no maximum block size. */
export const DEFAULT_MAX_REQUEST = 32 * 1024 * 1024;

/** The server broke the protocol; the message says how, for an ImageError. */
export class WireError extends Error {
  override name = "WireError";
}

/** Bytes received and not yet decoded, kept as the chunks they arrived in. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private head = 0;
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.length += chunk.length;
  }

  /** The first n bytes, left in the queue; undefined if fewer have arrived. */
  peek(n: number): Buffer | undefined {
    return this.copy(n, false);
  }

  /** The first n bytes, removed from the queue; undefined (and nothing removed) if fewer have arrived. */
  take(n: number): Buffer | undefined {
    return this.copy(n, true);
  }

  private copy(n: number, consume: boolean): Buffer | undefined {
    if (n > this.length) return undefined;
    const first = this.chunks[0];
    if (n === 0 || first.length - this.head >= n) {
      const out = n === 0 ? Buffer.alloc(0) : first.subarray(this.head, this.head + n);
      if (consume) this.drop(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    for (let i = 0, from = this.head; filled < n; i++, from = 0) {
      filled += this.chunks[i].copy(out, filled, from, Math.min(this.chunks[i].length, from + n - filled));
    }
    if (consume) this.drop(n);
    return out;
  }

  private drop(n: number): void {
    this.length -= n;
    while (n > 0) {
      const left = this.chunks[0].length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
  }
}

export type Decoder<T> = (q: ByteQueue) => T | undefined;

// ---- Client messages ----

export function encodeClientFlags(flags: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(flags, 0);
  return b;
}

export function encodeOption(option: number, data: Uint8Array): Buffer {
  const b = Buffer.alloc(16 + data.length);
  b.writeBigUInt64BE(IHAVEOPT, 0);
  b.writeUInt32BE(option, 8);
  b.writeUInt32BE(data.length, 12);
  b.set(data, 16);
  return b;
}

/** NBD_OPT_GO's data: the export name, then the information types the client asks for. */
export function encodeGoData(exportName: string, infos: number[]): Buffer {
  const name = Buffer.from(exportName, "utf8");
  const b = Buffer.alloc(4 + name.length + 2 + 2 * infos.length);
  b.writeUInt32BE(name.length, 0);
  name.copy(b, 4);
  b.writeUInt16BE(infos.length, 4 + name.length);
  infos.forEach((info, i) => b.writeUInt16BE(info, 6 + name.length + 2 * i));
  return b;
}

/** A request header; a write's data follows it on the wire. */
export function encodeRequest(command: number, handle: bigint, offset: number, length: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(REQUEST_MAGIC, 0);
  b.writeUInt16BE(0, 4); // command flags: FUA and friends are not used
  b.writeUInt16BE(command, 6);
  b.writeBigUInt64BE(handle, 8);
  b.writeBigUInt64BE(BigInt(offset), 16);
  b.writeUInt32BE(length, 24);
  return b;
}

// ---- Server messages ----

export interface Greeting {
  handshakeFlags: number;
}

export const decodeGreeting: Decoder<Greeting> = (q) => {
  // Check the first magic as soon as it is complete, so a non-NBD peer is named at once.
  const first = q.peek(8);
  if (first === undefined) return undefined;
  if (first.readBigUInt64BE(0) !== NBDMAGIC) throw new WireError(`not an NBD server: it sent ${describeBytes(first)} instead of "NBDMAGIC"`);
  const b = q.peek(18);
  if (b === undefined) return undefined;
  const second = b.readBigUInt64BE(8);
  if (second === OLDSTYLE_MAGIC) throw new WireError("the server speaks the oldstyle handshake, which has no export names; use a newstyle server (nbd-server 3.10 or later, nbdkit, qemu-nbd)");
  if (second !== IHAVEOPT) throw new WireError(`bad handshake magic 0x${second.toString(16)} after NBDMAGIC (expected IHAVEOPT)`);
  q.take(18);
  return { handshakeFlags: b.readUInt16BE(16) };
};

export interface OptionReply {
  option: number;
  type: number;
  data: Buffer;
}

export const decodeOptionReply: Decoder<OptionReply> = (q) => {
  const h = q.peek(20);
  if (h === undefined) return undefined;
  const magic = h.readBigUInt64BE(0);
  if (magic !== OPTION_REPLY_MAGIC) throw new WireError(`bad option reply magic 0x${magic.toString(16)}`);
  const length = h.readUInt32BE(16);
  if (length > MAX_OPTION_REPLY) throw new WireError(`option reply of ${length} bytes (at most ${MAX_OPTION_REPLY} accepted)`);
  if (q.length < 20 + length) return undefined;
  q.take(20);
  return { option: h.readUInt32BE(8), type: h.readUInt32BE(12), data: q.take(length)! };
};

export interface ExportInfo {
  sizeBytes: number;
  transmissionFlags: number;
}

/** The reply to NBD_OPT_EXPORT_NAME: size, flags, then 124 zero bytes unless NO_ZEROES was agreed. */
export function exportNameReplyDecoder(noZeroes: boolean): Decoder<ExportInfo> {
  const length = noZeroes ? 10 : 134;
  return (q) => {
    const b = q.take(length);
    return b && { sizeBytes: exportSize(b.readBigUInt64BE(0)), transmissionFlags: b.readUInt16BE(8) };
  };
}

export interface BlockSizes {
  minimum: number;
  preferred: number;
  maximum: number;
}

export type Info = ({ type: "export" } & ExportInfo) | ({ type: "block-size" } & BlockSizes) | { type: "other" };

/** The payload of an NBD_REP_INFO reply to NBD_OPT_GO. */
export function parseInfo(data: Buffer): Info {
  if (data.length < 2) throw new WireError(`NBD_REP_INFO of ${data.length} bytes`);
  const type = data.readUInt16BE(0);
  const expect = (length: number, name: string) => {
    if (data.length !== length) throw new WireError(`${name} of ${data.length} bytes (expected ${length})`);
  };
  switch (type) {
    case INFO_EXPORT:
      expect(12, "NBD_INFO_EXPORT");
      return { type: "export", sizeBytes: exportSize(data.readBigUInt64BE(2)), transmissionFlags: data.readUInt16BE(10) };
    case INFO_BLOCK_SIZE: {
      expect(14, "NBD_INFO_BLOCK_SIZE");
      const sizes = { minimum: data.readUInt32BE(2), preferred: data.readUInt32BE(6), maximum: data.readUInt32BE(10) };
      // The spec's constraints, which the client relies on to split and align requests.
      const powerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;
      if (!powerOfTwo(sizes.minimum) || sizes.minimum > 64 * 1024 || sizes.maximum < sizes.minimum) {
        throw new WireError(`impossible block sizes: minimum ${sizes.minimum}, maximum ${sizes.maximum}`);
      }
      return { type: "block-size", ...sizes };
    }
    default:
      return { type: "other" }; // names and descriptions: not needed
  }
}

function exportSize(size: bigint): number {
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(`export size ${size} bytes is too large`);
  return Number(size);
}

export interface SimpleReply {
  handle: bigint;
  /** 0, or the error the server reports (an errno value, see errnoName). */
  error: number;
  /** A successful read's data; empty otherwise. */
  data: Buffer;
}

/**
 * Decoder for simple replies. Whether a reply carries data depends on the request it answers, so
 * the caller says, for each handle, how many bytes a successful reply brings (a read's length, 0
 * for other commands), or undefined for a handle it never sent.
 */
export function simpleReplyDecoder(dataLength: (handle: bigint) => number | undefined): Decoder<SimpleReply> {
  return (q) => {
    const h = q.peek(16);
    if (h === undefined) return undefined;
    const magic = h.readUInt32BE(0);
    if (magic === STRUCTURED_REPLY_MAGIC) throw new WireError("structured reply, which was not negotiated");
    if (magic !== SIMPLE_REPLY_MAGIC) throw new WireError(`bad reply magic 0x${magic.toString(16)}`);
    const error = h.readUInt32BE(4);
    const handle = h.readBigUInt64BE(8);
    const expected = dataLength(handle);
    if (expected === undefined) throw new WireError(`reply for unknown handle 0x${handle.toString(16)}`);
    // An error reply carries no data, even for a read.
    const length = error === 0 ? expected : 0;
    if (q.length < 16 + length) return undefined;
    q.take(16);
    return { handle, error, data: q.take(length)! };
  };
}

// ---- Names for messages ----

const ERRNO: Record<number, string> = {
  1: "EPERM (operation not permitted)",
  5: "EIO (input/output error)",
  12: "ENOMEM (cannot allocate memory)",
  22: "EINVAL (invalid argument)",
  28: "ENOSPC (no space left on device)",
  75: "EOVERFLOW (value too large)",
  95: "ENOTSUP (operation not supported)",
  108: "ESHUTDOWN (server is shutting down)",
};
export const ESHUTDOWN = 108;

export function errnoName(error: number): string {
  return ERRNO[error] ?? `error ${error}`;
}

const REP_ERRORS: Record<number, string> = {
  [REP_ERR + 1]: "NBD_REP_ERR_UNSUP (option not supported)",
  [REP_ERR + 2]: "NBD_REP_ERR_POLICY (refused by the server's policy)",
  [REP_ERR + 3]: "NBD_REP_ERR_INVALID (invalid request)",
  [REP_ERR + 4]: "NBD_REP_ERR_PLATFORM (not supported on the server's platform)",
  [REP_ERR + 5]: "NBD_REP_ERR_TLS_REQD (the server requires TLS, which this client does not speak)",
  [REP_ERR + 6]: "NBD_REP_ERR_UNKNOWN (no such export)",
  [REP_ERR + 7]: "NBD_REP_ERR_SHUTDOWN (the server is shutting down)",
  [REP_ERR + 8]: "NBD_REP_ERR_BLOCK_SIZE_REQD (block size constraints required)",
  [REP_ERR + 9]: "NBD_REP_ERR_TOO_BIG (request too big)",
};

export function isReplyError(type: number): boolean {
  return type >= REP_ERR;
}

/** An option error reply, named, with the server's message (printable and cut short) if it sent one. */
export function describeReplyError(reply: OptionReply): string {
  const name = REP_ERRORS[reply.type] ?? `option error 0x${reply.type.toString(16)}`;
  const text = printable(reply.data.toString("utf8"), 200);
  return text === "" ? name : `${name}: "${text}"`;
}

/** Text from the server made safe to print: control characters removed, at most max characters. */
function printable(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

function describeBytes(b: Buffer): string {
  const ascii = b.toString("latin1");
  return /^[\x20-\x7e]+$/.test(ascii) ? JSON.stringify(ascii) : `0x${b.toString("hex")}`;
}

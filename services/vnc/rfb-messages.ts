// The messages an RFB client sends once the handshake is over (RFC 6143 §7.5), cut out of the
// byte stream however it arrives. Anything this server did not offer is a protocol error: a
// client sends the extensions' messages (continuous updates, fences, QEMU's) only to servers
// that announced them.

import { ByteQueue } from "../common/byte-queue.js";
import { PIXEL_FORMAT_BYTES, pixelFormatProblem, readPixelFormat, type PixelFormat } from "./pixel-format.js";

export type ClientMessage =
  | { readonly type: "setPixelFormat"; readonly format: PixelFormat }
  | { readonly type: "setEncodings"; readonly encodings: readonly number[] }
  | { readonly type: "updateRequest"; readonly incremental: boolean; readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  | { readonly type: "key"; readonly down: boolean; readonly keysym: number }
  | { readonly type: "pointer"; readonly buttons: number; readonly x: number; readonly y: number }
  | { readonly type: "cutText"; readonly text: string };

/** The client broke the protocol: the connection cannot go on. */
export class RfbProtocolError extends Error {
  override name = "RfbProtocolError";
}

/** Clipboard text beyond this is refused, so a client cannot make the server hold much. */
export const MAX_CUT_TEXT = 1024 * 1024;
/** Real clients list a few dozen encodings; more is a client gone wrong. */
export const MAX_ENCODINGS = 1024;

const SET_PIXEL_FORMAT = 0;
const SET_ENCODINGS = 2;
const UPDATE_REQUEST = 3;
const KEY_EVENT = 4;
const POINTER_EVENT = 5;
const CLIENT_CUT_TEXT = 6;

export class ClientMessageParser {
  private readonly queue = new ByteQueue();

  /** Bytes held for a message not yet complete: at most MAX_CUT_TEXT + 8. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Takes more of the stream; returns the messages it completes. Throws RfbProtocolError. */
  push(chunk: Uint8Array): ClientMessage[] {
    this.queue.push(chunk);
    const out: ClientMessage[] = [];
    for (let m = this.next(); m !== undefined; m = this.next()) out.push(m);
    return out;
  }

  private next(): ClientMessage | undefined {
    const q = this.queue;
    if (q.length === 0) return undefined;
    const type = q.peek(0);
    switch (type) {
      case SET_PIXEL_FORMAT: {
        if (q.length < 4 + PIXEL_FORMAT_BYTES) return undefined;
        const format = readPixelFormat(q.take(4 + PIXEL_FORMAT_BYTES), 4);
        const problem = pixelFormatProblem(format);
        if (problem !== undefined) throw new RfbProtocolError(`SetPixelFormat with ${problem}`);
        return { type: "setPixelFormat", format };
      }
      case SET_ENCODINGS: {
        if (q.length < 4) return undefined;
        const count = q.peekUint(2, 2);
        if (count > MAX_ENCODINGS) throw new RfbProtocolError(`SetEncodings with ${count} encodings (at most ${MAX_ENCODINGS})`);
        if (q.length < 4 + 4 * count) return undefined;
        const b = q.take(4 + 4 * count);
        const v = new DataView(b.buffer, b.byteOffset, b.length);
        return { type: "setEncodings", encodings: Array.from({ length: count }, (_, i) => v.getInt32(4 + 4 * i)) };
      }
      case UPDATE_REQUEST: {
        if (q.length < 10) return undefined;
        const b = q.take(10);
        const v = new DataView(b.buffer, b.byteOffset, b.length);
        return { type: "updateRequest", incremental: b[1] !== 0, x: v.getUint16(2), y: v.getUint16(4), w: v.getUint16(6), h: v.getUint16(8) };
      }
      case KEY_EVENT: {
        if (q.length < 8) return undefined;
        const b = q.take(8);
        return { type: "key", down: b[1] !== 0, keysym: new DataView(b.buffer, b.byteOffset, b.length).getUint32(4) };
      }
      case POINTER_EVENT: {
        if (q.length < 6) return undefined;
        const b = q.take(6);
        const v = new DataView(b.buffer, b.byteOffset, b.length);
        return { type: "pointer", buttons: b[1], x: v.getUint16(2), y: v.getUint16(4) };
      }
      case CLIENT_CUT_TEXT: {
        if (q.length < 8) return undefined;
        const length = q.peekUint(4, 4);
        // A length with the top bit set is the Extended Clipboard extension's, never announced here.
        if (length > MAX_CUT_TEXT) throw new RfbProtocolError(`ClientCutText of ${length} bytes (at most ${MAX_CUT_TEXT})`);
        if (q.length < 8 + length) return undefined;
        // The text is Latin-1 (RFC 6143 §7.5.6).
        return { type: "cutText", text: Buffer.from(q.take(8 + length).subarray(8)).toString("latin1") };
      }
      default:
        throw new RfbProtocolError(`unknown message type ${type}`);
    }
  }
}

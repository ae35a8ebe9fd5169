// Framing of xenstore messages on a byte stream (a socket, or a guest's ring relayed): the
// 16-byte header, the payload limit, and the NUL-terminated strings payloads are made of.

import {
  XENSTORE_PAYLOAD_MAX, XS_CONTROL, XS_DIRECTORY, XS_DIRECTORY_PART, XS_ERROR, XS_GET_DOMAIN_PATH,
  XS_GET_PERMS, XS_HDR_LEN, XS_HDR_REQ_ID, XS_HDR_TX_ID, XS_HDR_TYPE, XS_HEADER_SIZE, XS_INTRODUCE,
  XS_IS_DOMAIN_INTRODUCED, XS_MKDIR, XS_READ, XS_RELEASE, XS_RESET_WATCHES, XS_RESUME, XS_RM,
  XS_SET_PERMS, XS_SET_TARGET, XS_TRANSACTION_END, XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH,
  XS_WATCH_EVENT, XS_WRITE,
} from "../../kernel/public/xs-wire.js";
import { XsError } from "./error.js";

/** Message type names, for logs and error messages. */
export const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [XS_CONTROL, "CONTROL"],
  [XS_DIRECTORY, "DIRECTORY"],
  [XS_READ, "READ"],
  [XS_GET_PERMS, "GET_PERMS"],
  [XS_WATCH, "WATCH"],
  [XS_UNWATCH, "UNWATCH"],
  [XS_TRANSACTION_START, "TRANSACTION_START"],
  [XS_TRANSACTION_END, "TRANSACTION_END"],
  [XS_INTRODUCE, "INTRODUCE"],
  [XS_RELEASE, "RELEASE"],
  [XS_GET_DOMAIN_PATH, "GET_DOMAIN_PATH"],
  [XS_WRITE, "WRITE"],
  [XS_MKDIR, "MKDIR"],
  [XS_RM, "RM"],
  [XS_SET_PERMS, "SET_PERMS"],
  [XS_WATCH_EVENT, "WATCH_EVENT"],
  [XS_ERROR, "ERROR"],
  [XS_IS_DOMAIN_INTRODUCED, "IS_DOMAIN_INTRODUCED"],
  [XS_RESUME, "RESUME"],
  [XS_SET_TARGET, "SET_TARGET"],
  [XS_RESET_WATCHES, "RESET_WATCHES"],
  [XS_DIRECTORY_PART, "DIRECTORY_PART"],
]);

export interface XsMessage {
  type: number;
  reqId: number;
  txId: number;
  payload: Buffer;
}

export function encodeMessage(type: number, reqId: number, txId: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(XS_HEADER_SIZE + payload.length);
  frame.writeUInt32LE(type, XS_HDR_TYPE);
  frame.writeUInt32LE(reqId, XS_HDR_REQ_ID);
  frame.writeUInt32LE(txId, XS_HDR_TX_ID);
  frame.writeUInt32LE(payload.length, XS_HDR_LEN);
  payload.copy(frame, XS_HEADER_SIZE);
  return frame;
}

/** The stream cannot be resynchronised after this: the connection must be dropped. */
export class ProtocolError extends Error {}

/**
 * Cuts a byte stream into messages. It holds at most one header and one payload of
 * XENSTORE_PAYLOAD_MAX bytes, whatever the peer sends, so a hostile client costs bounded memory.
 */
export class MessageReader {
  private header = Buffer.alloc(XS_HEADER_SIZE);
  private headerUsed = 0;
  private payload: Buffer | undefined;
  private payloadUsed = 0;

  /** Returns the messages completed by `chunk`; throws ProtocolError on an over-long payload. */
  feed(chunk: Buffer): XsMessage[] {
    const out: XsMessage[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.payload === undefined) {
        const n = Math.min(XS_HEADER_SIZE - this.headerUsed, chunk.length - at);
        chunk.copy(this.header, this.headerUsed, at, at + n);
        this.headerUsed += n;
        at += n;
        if (this.headerUsed < XS_HEADER_SIZE) break;
        const len = this.header.readUInt32LE(XS_HDR_LEN);
        if (len > XENSTORE_PAYLOAD_MAX) {
          throw new ProtocolError(`payload of ${len} bytes exceeds ${XENSTORE_PAYLOAD_MAX}`);
        }
        this.payload = Buffer.allocUnsafe(len);
        this.payloadUsed = 0;
      }
      const n = Math.min(this.payload.length - this.payloadUsed, chunk.length - at);
      chunk.copy(this.payload, this.payloadUsed, at, at + n);
      this.payloadUsed += n;
      at += n;
      if (this.payloadUsed === this.payload.length) {
        out.push({
          type: this.header.readUInt32LE(XS_HDR_TYPE),
          reqId: this.header.readUInt32LE(XS_HDR_REQ_ID),
          txId: this.header.readUInt32LE(XS_HDR_TX_ID),
          payload: this.payload,
        });
        this.payload = undefined;
        this.headerUsed = 0;
      }
    }
    return out;
  }
}

/**
 * The NUL-terminated strings at the start of a payload (bytes after the last NUL are not a
 * string). Strings are latin1 so that every byte maps to one character and back.
 */
export function splitStrings(payload: Buffer): string[] {
  const out: string[] = [];
  let start = 0;
  for (let nul = payload.indexOf(0, start); nul >= 0; nul = payload.indexOf(0, start)) {
    out.push(payload.toString("latin1", start, nul));
    start = nul + 1;
  }
  return out;
}

/** The payload as exactly one NUL-terminated string (Xen's `onearg`), else EINVAL. */
export function oneArg(payload: Buffer): string {
  const nul = payload.indexOf(0);
  if (nul < 0 || nul !== payload.length - 1) throw new XsError("EINVAL", "expected one NUL-terminated string");
  return payload.toString("latin1", 0, nul);
}

/** Exactly `n` NUL-terminated strings filling the payload, else EINVAL. */
export function nArgs(payload: Buffer, n: number): string[] {
  const args = splitStrings(payload);
  if (args.length !== n || payload.length === 0 || payload[payload.length - 1] !== 0) {
    throw new XsError("EINVAL", `expected ${n} NUL-terminated strings`);
  }
  return args;
}

/** Strings as a payload: each followed by a NUL. */
export function joinStrings(strings: readonly string[]): Buffer {
  let len = 0;
  for (const s of strings) len += s.length + 1;
  const out = Buffer.allocUnsafe(len);
  let at = 0;
  for (const s of strings) {
    at += out.write(s, at, "latin1");
    out[at++] = 0;
  }
  return out;
}

// The kernel's half of a PV domain's xenstore ring. The store (services/store) runs in its own
// process and cannot see guest memory, so the kernel process relays: it takes the guest's
// requests from the ring page's `req` ring and sends them to the store over a connection that
// speaks for this domain (the store's domains.sock, services/store/domain-socket.ts), and
// writes what the store answers into `rsp`, then notifies the guest's store port.
//
// Only whole messages cross: a request goes to the store once all its bytes are in, and a reply
// is queued once all of it arrived. So when the store restarts (or is not there yet) the stream
// the guest sees stays well formed: requests wait in the ring, replies already received still
// reach the guest, and the relay reconnects. The guest does not notice the restart: the ledger
// (xenstore-ledger.ts) keeps the requests the store has not answered and the guest's watches,
// which the store keeps per connection, and replays them on the new connection.

import { connect, type Socket } from "node:net";
import {
  XENSTORE_RING_SIZE, XS_RING_REQ, XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP, XS_RING_RSP_CONS,
  XS_RING_RSP_PROD,
} from "../../public/xen/xenstore-ring.js";
import { XENSTORE_PAYLOAD_MAX, XS_HDR_LEN, XS_HEADER_SIZE } from "../../public/xs-wire.js";
import type { PvDomain } from "./pv-domain.js";
import { XenstoreLedger, type LedgerOutput } from "./xenstore-ledger.js";

/** Replies held for a guest that does not take them before the relay stops reading the store. */
const HOLD_MAX = 64 * 1024;
/** Wait before connecting again after the store went away or was not there. */
const RETRY_MS = 500;

/** Cuts whole messages off the front of a byte stream; undefined = not yet, Error = bad header. */
function takeMessage(buf: Buffer): number | undefined | Error {
  if (buf.length < XS_HEADER_SIZE) return undefined;
  const len = buf.readUInt32LE(XS_HDR_LEN);
  if (len > XENSTORE_PAYLOAD_MAX) return new Error(`a message announces ${len} bytes`);
  return buf.length >= XS_HEADER_SIZE + len ? XS_HEADER_SIZE + len : undefined;
}

export class XenstoreRing {
  private socket: Socket | undefined;
  private connected = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  /** Request bytes taken from the ring, not yet a whole message. */
  private partialRequest = Buffer.alloc(0);
  /** Bytes from the store, not yet a whole message. */
  private partialReply = Buffer.alloc(0);
  /** Whole replies waiting for room in `rsp`. */
  private replies = Buffer.alloc(0);
  /** What the store owes the guest, replayed on a new connection. */
  private readonly ledger: XenstoreLedger;

  constructor(
    private readonly dom: PvDomain,
    private readonly name: string,
    private readonly socketPath: string,
    private readonly log: (msg: string) => void,
  ) {
    this.ledger = new XenstoreLedger(dom.domid);
  }

  /** The guest notified its store port: take its requests, and deliver replies it made room for. */
  notify(): void {
    if (this.closed) return;
    this.pushReplies();
    if (!this.connected) {
      this.connect();
      return;
    }
    this.pullRequests();
  }

  /** The domain is destroyed: ending the connection tells the store it is gone. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.socket?.end();
    this.socket = undefined;
  }

  private ring(): DataView {
    return this.dom.mem.dataView(this.dom.layout.xenstore, 4096);
  }

  private connect(): void {
    if (this.socket !== undefined || this.retry !== undefined || this.closed) return;
    const socket = connect(this.socketPath);
    this.socket = socket;
    socket.on("connect", () => {
      this.connected = true;
      socket.write(`${JSON.stringify({
        domid: this.dom.domid, name: this.name, mfn: String(this.dom.layout.xenstore / 4096), port: this.dom.storePort,
      })}\n`);
      this.log(`xenstore ring connected to the store`);
      // After a restart: the guest's watches, then the requests the old store left unanswered.
      this.apply(this.ledger.connected());
      this.pullRequests();
    });
    socket.on("data", (chunk: Buffer) => this.fromStore(chunk));
    socket.on("error", () => {}); // "close" follows
    socket.on("close", () => {
      if (this.socket !== socket) return;
      if (this.connected) this.log(`xenstore ring lost the store; reconnecting`);
      this.socket = undefined;
      this.connected = false;
      // A request half sent, or a reply half received, belongs to the old connection.
      this.partialReply = Buffer.alloc(0);
      if (!this.closed) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.connect();
        }, RETRY_MS);
        this.retry.unref();
      }
    });
  }

  /** Moves what the guest produced in `req` into whole requests for the store. */
  private pullRequests(): void {
    const socket = this.socket;
    if (!this.connected || socket === undefined) return;
    const ring = this.ring();
    let cons = ring.getUint32(XS_RING_REQ_CONS, true);
    const prod = ring.getUint32(XS_RING_REQ_PROD, true);
    const n = (prod - cons) >>> 0;
    if (n === 0) return;
    if (n > XENSTORE_RING_SIZE) {
      this.log(`xenstore ring: corrupt request indices (cons ${cons}, prod ${prod}); ignored`);
      return;
    }
    const bytes = Buffer.alloc(n);
    for (let i = 0; i < n; i++, cons++) bytes[i] = ring.getUint8(XS_RING_REQ + (cons & (XENSTORE_RING_SIZE - 1)));
    ring.setUint32(XS_RING_REQ_CONS, cons >>> 0, true);
    this.partialRequest = Buffer.concat([this.partialRequest, bytes]);
    for (;;) {
      const m = takeMessage(this.partialRequest);
      if (m === undefined) break;
      if (m instanceof Error) {
        // The stream cannot be resynchronised: let the store see the bad header and drop it,
        // as xenstored drops a guest connection that breaks the protocol.
        socket.write(this.partialRequest);
        this.partialRequest = Buffer.alloc(0);
        break;
      }
      // Copied: the ledger keeps it until the store answers.
      this.apply(this.ledger.request(Buffer.from(this.partialRequest.subarray(0, m))));
      this.partialRequest = this.partialRequest.subarray(m);
    }
    // The guest may be waiting for room in `req`.
    this.dom.deliver(this.dom.storePort);
  }

  private fromStore(chunk: Buffer): void {
    if (this.closed) return;
    this.partialReply = Buffer.concat([this.partialReply, chunk]);
    for (;;) {
      const m = takeMessage(this.partialReply);
      if (m === undefined || m instanceof Error) break; // the store never sends a bad header
      // Copied: the rest of the chunk is not kept alive by a held reply.
      this.apply(this.ledger.fromStore(Buffer.from(this.partialReply.subarray(0, m))), false);
      this.partialReply = this.partialReply.subarray(m);
    }
    this.pushReplies();
  }

  /** Sends what the ledger says to the store, and queues what it says for the guest. */
  private apply(out: LedgerOutput, push = true): void {
    for (const m of out.toStore) this.socket?.write(m);
    if (out.toGuest.length > 0) {
      this.replies = Buffer.concat([this.replies, ...out.toGuest]);
      if (push) this.pushReplies();
    }
  }

  /** Writes held replies into the room `rsp` has; holds the rest until the guest takes some. */
  private pushReplies(): void {
    if (this.replies.length > 0) {
      const ring = this.ring();
      const cons = ring.getUint32(XS_RING_RSP_CONS, true);
      let prod = ring.getUint32(XS_RING_RSP_PROD, true);
      const used = (prod - cons) >>> 0;
      const free = used > XENSTORE_RING_SIZE ? 0 : XENSTORE_RING_SIZE - used;
      const n = Math.min(free, this.replies.length);
      if (n > 0) {
        for (let i = 0; i < n; i++, prod++) ring.setUint8(XS_RING_RSP + (prod & (XENSTORE_RING_SIZE - 1)), this.replies[i]);
        ring.setUint32(XS_RING_RSP_PROD, prod >>> 0, true);
        this.replies = this.replies.subarray(n);
        this.dom.deliver(this.dom.storePort);
      }
    }
    // Flow control: a guest that stops reading does not make the kernel hold unbounded replies.
    if (this.replies.length > HOLD_MAX) this.socket?.pause();
    else this.socket?.resume();
  }
}

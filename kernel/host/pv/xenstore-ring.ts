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
//
// The relay offers Xen's ring reconnection (docs/misc/xenstore-ring.txt): a guest that starts
// afresh on a ring in use (a kexec'd or crash kernel, a loader handing over) sets `connection`
// to XENSTORE_RECONNECT and notifies; the relay then forgets the guest's requests, watches and
// transactions and the ring's contents, zeroes the indices, sets XENSTORE_CONNECTED and
// notifies back. The store connection stays: it is told to drop the watches and transactions.

import { connect, type Socket } from "node:net";
import {
  XENSTORE_CONNECTED, XENSTORE_RECONNECT, XENSTORE_RING_SIZE, XENSTORE_SERVER_FEATURE_RECONNECTION, XS_RING_CONNECTION,
  XS_RING_REQ, XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP, XS_RING_RSP_CONS, XS_RING_RSP_PROD,
  XS_RING_SERVER_FEATURES,
} from "../../public/xen/xenstore-ring.js";
import { XENSTORE_PAYLOAD_MAX, XS_HDR_LEN, XS_HEADER_SIZE } from "../../public/xs-wire.js";
import type { PvDomain } from "./pv-domain.js";
import { XenstoreLedger, type LedgerOutput } from "./xenstore-ledger.js";
import type { XenstoreRelayState } from "../../public/machine-state.js";

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

/**
 * What the store lays out in the domain's home besides the ring (libxl's job in Xen), sent on the
 * hello line: `vm` names the uuid, `memory/target` the KiB, `cpu/<n>/availability` the vCPUs.
 */
export interface DomainIdentity {
  readonly name: string;
  readonly uuid: string;
  readonly memoryKiB: number;
  readonly vcpus: number;
}

export class XenstoreRing {
  private socket: Socket | undefined;
  private connected = false;
  /** The guest has notified its store port: the store knows the domain. */
  private introduced = false;
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
    private readonly identity: DomainIdentity,
    private readonly socketPath: string,
    private readonly log: (msg: string) => void,
  ) {
    // A restored domain's relay goes on as after a store restart (the ledger replays what is owed).
    const saved = dom.restoredStoreRelay;
    this.ledger = new XenstoreLedger(dom.domid, saved);
    // Advertised before the guest runs, as xenstored does when it introduces a domain.
    const ring = this.ring();
    ring.setUint32(XS_RING_SERVER_FEATURES, ring.getUint32(XS_RING_SERVER_FEATURES, true) | XENSTORE_SERVER_FEATURE_RECONNECTION, true);
    if (saved === undefined) return;
    this.partialRequest = Buffer.from(saved.partialRequest);
    this.replies = Buffer.from(saved.replies);
    // The guest may wait for a reply without notifying again.
    if (saved.introduced) this.connect();
  }

  /** For a saved state; the store connection itself does not travel. */
  saveState(): XenstoreRelayState {
    return {
      introduced: this.introduced,
      partialRequest: Uint8Array.from(this.partialRequest),
      replies: Uint8Array.from(this.replies),
      ...this.ledger.saveState(),
    };
  }

  /** The guest notified its store port: take its requests, and deliver replies it made room for. */
  notify(): void {
    if (this.closed) return;
    if (this.ring().getUint32(XS_RING_CONNECTION, true) === XENSTORE_RECONNECT) this.reset();
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
    this.introduced = true;
    const socket = connect(this.socketPath);
    this.socket = socket;
    socket.on("connect", () => {
      this.connected = true;
      // The console's frame and port too: the store writes them as console/ring-ref and
      // console/port, as libxl does for xenconsoled.
      socket.write(`${JSON.stringify({
        domid: this.dom.domid, name: this.identity.name, mfn: String(this.dom.layout.xenstore / 4096), port: this.dom.storePort,
        uuid: this.identity.uuid, memoryKiB: this.identity.memoryKiB, vcpus: this.identity.vcpus,
        consoleMfn: String(this.dom.layout.console / 4096), consolePort: this.dom.consolePort,
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

  /** XENSTORE_RECONNECT: the guest starts afresh on an empty ring, owed nothing. */
  private reset(): void {
    this.log(`xenstore ring reset by the guest`);
    this.partialRequest = Buffer.alloc(0);
    this.replies = Buffer.alloc(0);
    // `partialReply` stays: it is part of the store's stream, whose framing goes on.
    this.apply(this.ledger.reset(this.connected));
    const ring = this.ring();
    for (let i = 0; i < XENSTORE_RING_SIZE; i++) {
      ring.setUint8(XS_RING_REQ + i, 0);
      ring.setUint8(XS_RING_RSP + i, 0);
    }
    for (const off of [XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP_CONS, XS_RING_RSP_PROD]) ring.setUint32(off, 0, true);
    ring.setUint32(XS_RING_CONNECTION, XENSTORE_CONNECTED, true);
    this.dom.deliver(this.dom.storePort);
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

// A PV device's shared ring (io/ring.h) served by a backend process. The backend cannot map the
// guest's ring page, so the kernel does the ring work for it: when the frontend notifies, the new
// request slots are copied out and pushed to the backend; the backend's responses (and the data
// it copies into granted pages, as GNTTABOP_copy would) are written back, then the frontend is
// notified. What a slot means (blkif, netif) is the backend's business. Every request stays
// outstanding until answered, so a restarted backend that binds the ring again receives them
// again and the frontend never notices.

import {
  SRING_HEADER_SIZE, SRING_PAGE_SIZE, SRING_REQ_EVENT, SRING_REQ_PROD, SRING_RSP_PROD,
} from "../../public/xen/ring.js";
import { encodeRawFrame } from "../../public/frames.js";
import { writeBatched } from "../socket-batch.js";
import type { RingRequestsFrame } from "../../public/protocol.js";
import { BACKEND_DOMID } from "../../public/xen/xenbus.js";
import { GrantError, segmentAddress, type GrantingDomain, type GrantSegment } from "./grant-table.js";
import type { BackendPeer } from "../backend-link.js";
import { GuestMemoryError } from "../guest-memory.js";

export class RingError extends Error {
  override name = "RingError";
}

/** Slots of `slotSize` bytes in one page after the header: the largest power of two that fits. */
export function ringSlots(slotSize: number): number {
  let n = 1;
  while (n * 2 * slotSize <= SRING_PAGE_SIZE - SRING_HEADER_SIZE) n *= 2;
  return n;
}

/** The frontend's domain: its memory and grants, and how to send it an event. */
export interface RingOwner extends GrantingDomain {
  deliver(port: number): void;
}

export class BackendRing {
  peer: BackendPeer | undefined;
  private readonly slots: number;
  private reqCons: number;
  private rspProdPvt: number;
  /** Requests pushed to the backend and not yet answered, by ring position. */
  private readonly outstanding = new Map<number, Uint8Array>();

  constructor(
    private readonly pv: RingOwner,
    readonly devid: number,
    readonly index: number,
    private readonly ringGpa: number,
    readonly port: number,
    private readonly slotSize: number,
    private readonly rspSize: number,
    private readonly log: (msg: string) => void,
  ) {
    this.slots = ringSlots(slotSize);
    const h = this.header();
    // A fresh ring has all indices 0; one the frontend used before keeps its positions.
    this.reqCons = h.getUint32(SRING_RSP_PROD, true);
    this.rspProdPvt = this.reqCons;
  }

  private header(): DataView {
    return this.pv.mem.dataView(this.ringGpa, SRING_PAGE_SIZE);
  }

  /** The frontend notified: take new requests and push them to the backend. */
  notify(): void {
    const h = this.header();
    const prod = h.getUint32(SRING_REQ_PROD, true);
    const n = (prod - this.reqCons) >>> 0;
    if (n === 0) return;
    if (n > this.slots) {
      // A frontend bug or attack: do not read past what the ring can hold.
      this.log(`ring ${this.index} of device ${this.devid}: req_prod ${prod} runs ${n} slots ahead of ${this.reqCons}; ignored`);
      return;
    }
    const positions: number[] = [];
    const entries: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const pos = (this.reqCons + i) >>> 0;
      const at = this.ringGpa + SRING_HEADER_SIZE + (pos & (this.slots - 1)) * this.slotSize;
      const entry = this.pv.mem.view(at, this.slotSize).slice();
      this.outstanding.set(pos, entry);
      positions.push(pos);
      entries.push(entry);
    }
    this.reqCons = prod;
    // Ask for a notification as soon as the next request is produced (RING_FINAL_CHECK_FOR_REQUESTS).
    h.setUint32(SRING_REQ_EVENT, (prod + 1) >>> 0, true);
    if (this.peer !== undefined) this.push(this.peer, positions, entries);
    // A request produced between reading req_prod and setting req_event sent no notification.
    if (h.getUint32(SRING_REQ_PROD, true) !== prod) this.notify();
  }

  /** `peer` serves the ring from now on; it gets every request not yet answered. */
  bind(peer: BackendPeer): void {
    this.peer = peer;
    const positions = [...this.outstanding.keys()];
    if (positions.length > 0) this.push(peer, positions, positions.map((p) => this.outstanding.get(p) as Uint8Array));
    this.notify();
  }

  /**
   * The backend answers the requests at `positions` with `responses` (one slot each, in that
   * order), after writing `data` into the granted pages `copies` name. A position that is not
   * outstanding (answered twice) is refused as a whole, so the ring never holds more responses
   * than requests.
   */
  respond(positions: readonly number[], responses: Uint8Array, copies: readonly GrantSegment[], data: Uint8Array): void {
    if (positions.some((p) => !this.outstanding.has(p)) || new Set(positions).size !== positions.length) {
      throw new RingError(`device ${this.devid}: an answer names a request that is not outstanding`);
    }
    if (responses.length !== positions.length * this.rspSize) {
      throw new RingError(`device ${this.devid}: ${responses.length} response bytes for ${positions.length} responses of ${this.rspSize}`);
    }
    this.copyIn(copies, data);
    for (let i = 0; i < positions.length; i++) {
      const at = this.ringGpa + SRING_HEADER_SIZE + (this.rspProdPvt & (this.slots - 1)) * this.slotSize;
      this.pv.mem.write(at, responses.subarray(i * this.rspSize, (i + 1) * this.rspSize));
      this.rspProdPvt = (this.rspProdPvt + 1) >>> 0;
      this.outstanding.delete(positions[i]);
    }
    this.header().setUint32(SRING_RSP_PROD, this.rspProdPvt, true);
    this.pv.deliver(this.port);
  }

  /**
   * A segment whose grant the frontend withdrew or never gave is skipped (its bytes are dropped
   * and logged): the frontend broke its own request, and the others in the batch still complete.
   */
  private copyIn(segments: readonly GrantSegment[], data: Uint8Array): void {
    const total = segments.reduce((n, s) => n + s.len, 0);
    if (total !== data.length) throw new RingError(`device ${this.devid}: ${data.length} bytes for copies of ${total}`);
    let at = 0;
    for (const s of segments) {
      try {
        this.pv.mem.write(segmentAddress(this.pv, s, BACKEND_DOMID, true), data.subarray(at, at + s.len));
      } catch (e) {
        if (!(e instanceof GrantError) && !(e instanceof GuestMemoryError)) throw e;
        this.log(`device ${this.devid}: ${e.message}`);
      }
      at += s.len;
    }
  }

  private push(peer: BackendPeer, positions: number[], entries: Uint8Array[]): void {
    const raw = new Uint8Array(entries.length * this.slotSize);
    entries.forEach((e, i) => raw.set(e, i * this.slotSize));
    const head: Omit<RingRequestsFrame, "raw"> = {
      event: "ring.requests", domid: this.pv.domid, devid: this.devid, ring: this.index, positions,
    };
    writeBatched(peer.socket, ...encodeRawFrame(head, raw));
  }
}

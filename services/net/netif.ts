// netif (Xen's io/netif.h): what a PV NIC's rings mean, served through the kernel's ring relay
// (kernel/host/pv/backend-ring.ts). The tx ring brings packets the guest sends: each slot names a
// granted page and a piece of the packet in it (a packet over a page boundary takes several
// slots, NETTXF_more_data); the backend fetches them with one grant read per batch, sends the
// packets on and answers every slot. The rx ring brings empty granted pages; each is kept until
// a packet arrives for the guest, which is copied in with the answer (ring.respond's copies).

import {
  NETIF_RING_SLOTS, NETIF_RSP_ERROR, NETIF_RSP_OKAY, NETIF_RX_REQ_GREF, NETIF_RX_REQ_ID, NETIF_RX_RESPONSE_SIZE,
  NETIF_RX_RING, NETIF_RX_RSP_FLAGS, NETIF_RX_RSP_ID, NETIF_RX_RSP_OFFSET, NETIF_RX_RSP_STATUS, NETIF_RX_SLOT_SIZE,
  NETIF_TX_REQ_FLAGS, NETIF_TX_REQ_GREF, NETIF_TX_REQ_ID, NETIF_TX_REQ_OFFSET, NETIF_TX_REQ_SIZE, NETIF_TX_RESPONSE_SIZE,
  NETIF_TX_RING, NETIF_TX_RSP_ID, NETIF_TX_RSP_STATUS, NETIF_TX_SLOT_SIZE, NETTXF_extra_info, NETTXF_more_data,
} from "../../kernel/public/xen/netif.js";
import type { GrantSegmentSpec, RingRequestsFrame } from "../../kernel/public/protocol.js";
import type { KernelPort } from "../common/kernel-port.js";
import type { NicEvents } from "./virtio-net.js";

const PAGE = 4096;
/** The largest frame a vif carries: Ethernet with one VLAN tag. */
const MAX_FRAME = 1522;

interface TxSlot {
  readonly position: number;
  readonly id: number;
  readonly gref: number;
  readonly offset: number;
  readonly flags: number;
  readonly size: number;
}

function txSlot(raw: Uint8Array, position: number): TxSlot {
  const v = new DataView(raw.buffer, raw.byteOffset, NETIF_TX_SLOT_SIZE);
  return {
    position, id: v.getUint16(NETIF_TX_REQ_ID, true), gref: v.getUint32(NETIF_TX_REQ_GREF, true),
    offset: v.getUint16(NETIF_TX_REQ_OFFSET, true), flags: v.getUint16(NETIF_TX_REQ_FLAGS, true), size: v.getUint16(NETIF_TX_REQ_SIZE, true),
  };
}

/**
 * Group slots into packets and check each: the first slot's size is the packet's, the others'
 * their own piece; pieces stay in their page. A packet whose last slot has not arrived yet is left
 * for the next batch. Returns the packets (with their grant segments, or why they are refused).
 */
export function groupTxPackets(slots: readonly TxSlot[]): { packets: { slots: TxSlot[]; segments: GrantSegmentSpec[]; error?: string }[]; rest: TxSlot[] } {
  const packets: { slots: TxSlot[]; segments: GrantSegmentSpec[]; error?: string }[] = [];
  let i = 0;
  while (i < slots.length) {
    let end = i;
    while (end < slots.length && (slots[end].flags & NETTXF_more_data) !== 0) end++;
    if (end === slots.length) break; // the packet continues in a later batch
    const group = slots.slice(i, end + 1);
    i = end + 1;
    const restBytes = group.slice(1).reduce((n, s) => n + s.size, 0);
    const firstLen = group[0].size - restBytes;
    const lens = [firstLen, ...group.slice(1).map((s) => s.size)];
    let error: string | undefined;
    if (group.some((s) => (s.flags & NETTXF_extra_info) !== 0)) error = "extra-info slots are not supported";
    else if (group[0].size > MAX_FRAME || group[0].size < 14) error = `a packet of ${group[0].size} bytes`;
    else if (lens.some((n, k) => n < 0 || group[k].offset + n > PAGE)) error = "a piece runs outside its page";
    packets.push({ slots: group, segments: error !== undefined ? [] : group.map((s, k) => ({ ref: s.gref, offset: s.offset, len: lens[k] })), error });
  }
  return { packets, rest: slots.slice(i) };
}

function txResponse(id: number, status: number): Uint8Array {
  const out = new Uint8Array(NETIF_TX_RESPONSE_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(NETIF_TX_RSP_ID, id, true);
  v.setInt16(NETIF_TX_RSP_STATUS, status, true);
  return out;
}

function rxResponse(id: number, status: number): Uint8Array {
  const out = new Uint8Array(NETIF_RX_RESPONSE_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(NETIF_RX_RSP_ID, id, true);
  v.setUint16(NETIF_RX_RSP_OFFSET, 0, true);
  v.setUint16(NETIF_RX_RSP_FLAGS, 0, true);
  v.setInt16(NETIF_RX_RSP_STATUS, status, true);
  return out;
}

export class NetifServer {
  static readonly txSlotSize = NETIF_TX_SLOT_SIZE;
  static readonly txRspSize = NETIF_TX_RESPONSE_SIZE;
  static readonly rxSlotSize = NETIF_RX_SLOT_SIZE;
  static readonly rxRspSize = NETIF_RX_RESPONSE_SIZE;
  /** Slots of a packet still waiting for its last piece. */
  private pendingTx: TxSlot[] = [];
  /** Receive buffers the guest offered: ring position, request id and page. */
  private readonly rxBuffers: { position: number; id: number; gref: number }[] = [];
  /** Filled buffers not answered yet (answered together, see deliver). */
  private readonly rxAnswers: { buffer: { position: number; id: number; gref: number }; packet: Uint8Array }[] = [];

  constructor(
    private readonly domid: number,
    private readonly devid: number,
    private readonly kernel: KernelPort,
    private readonly events: NicEvents,
    private readonly log: (msg: string) => void,
  ) {}

  /** Batches of the tx ring in order: a packet may continue from one batch into the next. */
  private txChain: Promise<void> = Promise.resolve();

  serve(frame: RingRequestsFrame): Promise<void> {
    if (frame.ring !== NETIF_TX_RING) {
      this.offerBuffers(frame);
      return Promise.resolve();
    }
    this.txChain = this.txChain.then(() => this.transmit(frame));
    return this.txChain;
  }

  private offerBuffers(frame: RingRequestsFrame): void {
    frame.positions.forEach((position, i) => {
      const v = new DataView(frame.raw.buffer, frame.raw.byteOffset + i * NETIF_RX_SLOT_SIZE, NETIF_RX_SLOT_SIZE);
      // A re-sent buffer (after a restart of the kernel link) replaces the one at its position.
      const known = this.rxBuffers.findIndex((b) => b.position === position);
      const buffer = { position, id: v.getUint16(NETIF_RX_REQ_ID, true), gref: v.getUint32(NETIF_RX_REQ_GREF, true) };
      if (known >= 0) this.rxBuffers[known] = buffer;
      else if (this.rxBuffers.length < NETIF_RING_SLOTS) this.rxBuffers.push(buffer);
    });
  }

  /**
   * A frame from the bridge for the guest: into the oldest offered page, or dropped. The frames
   * delivered in one turn of the event loop are answered together, in one ring.respond.
   */
  deliver(packet: Uint8Array): void {
    const b = this.rxBuffers.shift();
    if (b === undefined || packet.length > PAGE) {
      this.events.toGuest(packet, false);
      if (b !== undefined) this.rxBuffers.unshift(b);
      return;
    }
    if (this.rxAnswers.length === 0) queueMicrotask(() => this.answerReceived());
    this.rxAnswers.push({ buffer: b, packet });
    this.events.toGuest(packet, true);
  }

  private answerReceived(): void {
    const answers = this.rxAnswers.splice(0);
    const data = new Uint8Array(answers.reduce((n, a) => n + a.packet.length, 0));
    const responses = new Uint8Array(answers.length * NETIF_RX_RESPONSE_SIZE);
    let at = 0;
    answers.forEach((a, i) => {
      data.set(a.packet, at);
      at += a.packet.length;
      responses.set(rxResponse(a.buffer.id, a.packet.length), i * NETIF_RX_RESPONSE_SIZE);
    });
    this.kernel.ringRespond(this.domid, this.devid, NETIF_RX_RING, answers.map((a) => a.buffer.position),
      answers.map((a) => ({ ref: a.buffer.gref, offset: 0, len: a.packet.length })), data, responses);
  }

  private async transmit(frame: RingRequestsFrame): Promise<void> {
    const slots = [...this.pendingTx, ...frame.positions.map((p, i) => txSlot(frame.raw.subarray(i * NETIF_TX_SLOT_SIZE, (i + 1) * NETIF_TX_SLOT_SIZE), p))];
    const { packets, rest } = groupTxPackets(slots);
    this.pendingTx = rest;
    const good = packets.filter((p) => p.error === undefined);
    let bytes: Uint8Array = new Uint8Array(0);
    let fetched = true;
    if (good.length > 0) {
      try {
        bytes = await this.kernel.grantRead(this.domid, good.flatMap((p) => p.segments));
      } catch (e) {
        this.log(`vif${this.domid}.${this.devid}: fetching sent packets: ${(e as Error).message}`);
        fetched = false;
      }
    }
    let at = 0;
    const positions: number[] = [];
    const responses: Uint8Array[] = [];
    for (const p of packets) {
      let status = NETIF_RSP_OKAY;
      if (p.error !== undefined) {
        this.events.malformed(p.error);
        status = NETIF_RSP_ERROR;
      } else {
        const len = p.segments.reduce((n, s) => n + s.len, 0);
        if (fetched) {
          const packet = bytes.slice(at, at + len);
          const wait = this.events.delayMs(packet.length);
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          this.events.transmit(packet);
        } else status = NETIF_RSP_ERROR;
        at += len;
      }
      for (const s of p.slots) {
        positions.push(s.position);
        responses.push(txResponse(s.id, status));
      }
    }
    if (positions.length === 0) return;
    const all = new Uint8Array(responses.length * NETIF_TX_RESPONSE_SIZE);
    responses.forEach((r, i) => all.set(r, i * NETIF_TX_RESPONSE_SIZE));
    this.kernel.ringRespond(this.domid, this.devid, NETIF_TX_RING, positions, [], new Uint8Array(0), all);
  }

}

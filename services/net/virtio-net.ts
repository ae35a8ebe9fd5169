// virtio-net (virtio 1.x 5.1): what a NIC's requests mean. Queue 0 (receiveq) holds buffers the
// guest offers for incoming frames: each is answered only when a frame arrives for it, with the
// 12-byte virtio_net_hdr in front. Queue 1 (transmitq) carries outgoing frames, the same header
// first; each is answered once the frame is on its way (after the vif's rate limit allows it).
// Frames that arrive while the guest has offered no buffer wait in a short queue, then drop.

import { VIRTIO_ID_NET } from "../../kernel/public/virtio-slot.js";
import type { VirtioAnswer, VirtioBackend, VirtioRequest } from "../../kernel/host/virtio-backend.js";

const RX_QUEUE = 0;
const TX_QUEUE = 1;
/** struct virtio_net_hdr_v1 (with VIRTIO_F_VERSION_1): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers. */
export const NET_HDR_BYTES = 12;
const HDR_NUM_BUFFERS = 10;
const F_MAC = 5n;
const F_STATUS = 16n;
const S_LINK_UP = 1;
/** Frames kept for a guest that has no receive buffer posted yet. */
const BACKLOG = 64;
const EMPTY = new Uint8Array(0);

/** How a NIC's frontend model (virtio-net, netif) talks to its port on the bridge. */
export interface NicEvents {
  /** A frame the guest sent, header removed. */
  transmit(frame: Uint8Array): void;
  /** A frame for the guest was handed over (true) or dropped: no buffer, or too big for it. */
  toGuest(frame: Uint8Array, delivered: boolean): void;
  /** Wait before this frame may go: the vif's rate limit (0 = now). */
  delayMs(bytes: number): number;
  /** The guest sent something that is not a frame (a broken ring entry): dropped and counted. */
  malformed(why: string): void;
}

export class VirtioNet implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_NET;
  readonly features = (1n << F_MAC) | (1n << F_STATUS);
  private readonly buffers: { writable: number; answer: (a: VirtioAnswer) => void }[] = [];
  private readonly backlog: Uint8Array[] = [];

  constructor(private readonly mac: Uint8Array, private readonly events: NicEvents) {}

  config(): Uint8Array {
    const c = new Uint8Array(8);
    c.set(this.mac, 0);
    new DataView(c.buffer).setUint16(6, S_LINK_UP, true);
    return c;
  }

  serve(req: VirtioRequest): Promise<VirtioAnswer> {
    if (req.queue === TX_QUEUE) return this.transmit(req.readable);
    if (req.queue !== RX_QUEUE || req.writableBytes < NET_HDR_BYTES) return Promise.resolve({ written: 0, data: EMPTY });
    return new Promise((answer) => {
      this.buffers.push({ writable: req.writableBytes, answer });
      const waiting = this.backlog.shift();
      if (waiting !== undefined) this.deliver(waiting);
    });
  }

  private async transmit(readable: Uint8Array): Promise<VirtioAnswer> {
    if (readable.length <= NET_HDR_BYTES) this.events.malformed(`a transmit request of ${readable.length} bytes holds no frame`);
    else {
      const frame = readable.subarray(NET_HDR_BYTES);
      const wait = this.events.delayMs(frame.length);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.events.transmit(frame);
    }
    return { written: 0, data: EMPTY };
  }

  /** A frame from the bridge for this guest. */
  deliver(frame: Uint8Array): void {
    const buffer = this.buffers.shift();
    if (buffer === undefined) {
      if (this.backlog.length < BACKLOG) this.backlog.push(frame);
      else this.events.toGuest(frame, false);
      return;
    }
    if (NET_HDR_BYTES + frame.length > buffer.writable) {
      // Without mergeable buffers a frame must fit one buffer: hand the buffer back empty-handed.
      this.events.toGuest(frame, false);
      buffer.answer({ written: 0, data: EMPTY });
      return;
    }
    const data = new Uint8Array(NET_HDR_BYTES + frame.length);
    new DataView(data.buffer).setUint16(HDR_NUM_BUFFERS, 1, true);
    data.set(frame, NET_HDR_BYTES);
    buffer.answer({ written: data.length, data });
    this.events.toGuest(frame, true);
  }
}

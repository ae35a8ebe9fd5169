// The kernel's side of device backends that run as their own processes (blk, net, vnc): each
// attached virtio device forwards its requests to the backend connection serving it, and every
// request stays outstanding here until answered. A backend that dies leaves its requests
// waiting; when its restarted instance attaches the same device again they are sent again, so
// the guest sees a slow request, never an error.

import type { Socket } from "node:net";
import { encodeRawFrame } from "../public/frames.js";
import { writeBatched } from "./socket-batch.js";
import { MAX_BULK_FRAME_BYTES, type VirtioConfigPage, type VirtioDoneFrame, type VirtioRequestFrame } from "../public/protocol.js";
import type { VirtioAnswer, VirtioBackend, VirtioRequest } from "./virtio-backend.js";

/** One connection that said backend.hello. */
export interface BackendPeer {
  readonly instance: string;
  readonly socket: Socket;
}

interface Outstanding {
  readonly device: RemoteDevice;
  readonly request: VirtioRequest;
  readonly resolve: (answer: VirtioAnswer) => void;
}

/** A device whose semantics live in a backend process. */
export class RemoteDevice implements VirtioBackend {
  peer: BackendPeer | undefined;

  constructor(
    private readonly links: BackendLinks,
    readonly key: string,
    readonly domid: number,
    readonly devid: number,
    readonly deviceId: number,
    readonly features: bigint,
    private readonly configBytes: Uint8Array,
    readonly configPages: readonly VirtioConfigPage[] | undefined,
  ) {}

  config(): Uint8Array {
    return this.configBytes;
  }

  serve(request: VirtioRequest): Promise<VirtioAnswer> {
    return this.links.forward(this, request);
  }

  close(): void {
    this.links.forget(this);
  }
}

/** Room for a request's msgpack header in its frame. */
const MAX_HEADER_BYTES = 4096;

export class BackendLinks {
  private nextTag = 1;

  constructor(private readonly log: (msg: string) => void) {}

  private readonly outstanding = new Map<number, Outstanding>();

  /** Names a device across backend restarts. */
  static keyOf(instance: string, domid: number, devid: number): string {
    return `${instance}/${domid}/${devid}`;
  }

  forward(device: RemoteDevice, request: VirtioRequest): Promise<VirtioAnswer> {
    // A chain too big for one frame would never reach the backend (and would end its connection
    // each time it was sent again): it is answered empty here, which the driver sees as a failure.
    if (request.readable.length + request.writableBytes > MAX_BULK_FRAME_BYTES - MAX_HEADER_BYTES) {
      this.log(`domain ${device.domid} device ${device.devid}: a request of ${request.readable.length + request.writableBytes} bytes is larger than a backend takes; refused`);
      return Promise.resolve({ written: 0, data: new Uint8Array(0) });
    }
    return new Promise((resolve) => {
      const tag = this.nextTag++;
      this.outstanding.set(tag, { device, request, resolve });
      if (device.peer !== undefined) this.send(device.peer, tag, device, request);
    });
  }

  /** `peer` serves `device` from now on; whatever it has not answered yet goes to it again. */
  bind(device: RemoteDevice, peer: BackendPeer): void {
    device.peer = peer;
    for (const [tag, o] of this.outstanding) {
      if (o.device === device) this.send(peer, tag, device, o.request);
    }
  }

  /** A backend connection closed: its devices wait for the next instance. */
  unbind(peer: BackendPeer, devices: Iterable<RemoteDevice>): void {
    for (const d of devices) if (d.peer === peer) d.peer = undefined;
  }

  /** A backend's answer; an unknown tag (answered twice, or its device is gone) is ignored. */
  answer(done: VirtioDoneFrame): void {
    const o = this.outstanding.get(done.tag);
    if (o === undefined) return;
    this.outstanding.delete(done.tag);
    o.resolve({ written: done.written, data: done.raw });
  }

  /** The device is gone (detached, or its domain destroyed): its requests will never be answered. */
  forget(device: RemoteDevice): void {
    device.peer = undefined;
    for (const [tag, o] of this.outstanding) if (o.device === device) this.outstanding.delete(tag);
  }

  private send(peer: BackendPeer, tag: number, device: RemoteDevice, request: VirtioRequest): void {
    const head: Omit<VirtioRequestFrame, "raw"> = {
      event: "virtio.request", tag, domid: device.domid, devid: device.devid, queue: request.queue, writable: request.writableBytes,
    };
    writeBatched(peer.socket, ...encodeRawFrame(head, request.readable));
  }
}

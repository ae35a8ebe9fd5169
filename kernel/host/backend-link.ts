// The kernel's side of device backends that run as their own processes (blk, net, vnc): each
// attached virtio device forwards its requests to the backend connection serving it, and every
// request stays outstanding here until answered. A backend that dies leaves its requests
// waiting; when its restarted instance attaches the same device again they are sent again, so
// the guest sees a slow request, never an error.

import type { Socket } from "node:net";
import { encodeRawFrame } from "../public/frames.js";
import type { VirtioDoneFrame, VirtioRequestFrame } from "../public/protocol.js";
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

export class BackendLinks {
  private nextTag = 1;
  private readonly outstanding = new Map<number, Outstanding>();

  /** Names a device across backend restarts. */
  static keyOf(instance: string, domid: number, devid: number): string {
    return `${instance}/${domid}/${devid}`;
  }

  forward(device: RemoteDevice, request: VirtioRequest): Promise<VirtioAnswer> {
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
    const [a, b] = encodeRawFrame(head, request.readable);
    peer.socket.cork();
    peer.socket.write(a);
    peer.socket.write(b);
    peer.socket.uncork();
  }
}

// The block service's core, Xen's blkback: it watches Domain-0's backend/vbd in the store, opens
// each new disk's image, publishes its size and flags there, and serves it. An HVM guest's disk
// (backend node virtio = 1) is plugged into the kernel as a virtio-blk device and its requests
// arrive from the kernel; the backend then says Connected. A PV guest's disk waits in InitWait
// for its blkfront to publish ring-ref and event-channel (frontend state Initialised), then the
// kernel relays that ring and the backend says Connected. A disk whose nodes are removed is
// unplugged and closed. After a restart the service finds its disks in the store again and
// re-attaches them; the kernel re-sends the requests it had not answered.

import type { StoreLink } from "../common/store-link.js";
import type { KernelPort } from "../common/kernel-port.js";
import type { VirtioRequestFrame } from "../../kernel/public/protocol.js";
import {
  backendPath, backendRoot, BACKEND_VIRTIO, VDISK_CDROM, VDISK_READONLY, XenbusState,
} from "../../kernel/public/xen/xenbus.js";
import type { BlockImage } from "./image.js";
import { openImage } from "./open-image.js";
import { SECTOR_BYTES, VirtioBlk } from "./virtio-blk.js";
import { BlkifServer } from "./blkif.js";

interface Vbd {
  readonly domid: number;
  readonly devid: number;
  readonly image: BlockImage;
  readonly virtio: VirtioBlk | undefined;
  /** PV: the frontend's directory, and its ring once bound. */
  readonly frontend: string | undefined;
  blkif: BlkifServer | undefined;
}

const keyOf = (domid: number, devid: number): string => `${domid}/${devid}`;

export class BlockBackend {
  private readonly vbds = new Map<string, Vbd>();
  /** Disks that failed to set up: not retried until their nodes are written again. */
  private readonly failed = new Set<string>();
  private scanning: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly kernel: KernelPort,
    private readonly store: StoreLink,
    private readonly log: (msg: string) => void,
  ) {
    kernel.onRequest((req) => this.serve(req));
    kernel.onRingRequests((frame) => {
      const vbd = this.vbds.get(keyOf(frame.domid, frame.devid));
      // Not bound yet (the service just restarted): the kernel sends them again once bound.
      void vbd?.blkif?.serve(frame);
    });
  }

  static readonly watchPath = backendRoot("vbd");

  /** Something changed below backend/vbd: bring the open disks in line with the store. */
  changed(): void {
    if (this.scanning !== undefined) {
      this.again = true;
      return;
    }
    this.scanning = this.scan().catch((e: Error) => this.log(`scanning the store: ${e.message}`)).finally(() => {
      this.scanning = undefined;
      if (this.again) {
        this.again = false;
        this.changed();
      }
    });
  }

  private serve(req: VirtioRequestFrame): void {
    const vbd = this.vbds.get(keyOf(req.domid, req.devid));
    // Not open yet (the service just restarted): the kernel sends it again once attached.
    if (vbd?.virtio === undefined) return;
    void vbd.virtio.serve({ queue: req.queue, readable: req.raw, writableBytes: req.writable }).then((a) => {
      this.kernel.done(req.tag, a.written, a.data);
    });
  }

  private async scan(): Promise<void> {
    const xs = this.store.get();
    const present = new Set<string>();
    for (const dom of await xs.directoryIfExists(BlockBackend.watchPath)) {
      for (const dev of await xs.directoryIfExists(`${BlockBackend.watchPath}/${dom}`)) {
        const domid = Number(dom);
        const devid = Number(dev);
        if (!Number.isSafeInteger(domid) || !Number.isSafeInteger(devid)) continue;
        const key = keyOf(domid, devid);
        present.add(key);
        if (this.failed.has(key)) continue;
        if (!this.vbds.has(key)) await this.setUp(domid, devid);
        const vbd = this.vbds.get(key);
        if (vbd?.frontend !== undefined && vbd.blkif === undefined) await this.connectRing(vbd);
      }
    }
    for (const [key, vbd] of this.vbds) if (!present.has(key)) await this.tearDown(vbd);
    for (const key of this.failed) if (!present.has(key)) this.failed.delete(key);
  }

  private async setUp(domid: number, devid: number): Promise<void> {
    const xs = this.store.get();
    const be = backendPath("vbd", domid, devid);
    const read = (k: string): Promise<string | undefined> => xs.readIfExists(`${be}/${k}`);
    const [type, params, mode, virtio, devtype, state, frontend] = await Promise.all(
      ["type", "params", "mode", BACKEND_VIRTIO, "device-type", "state", "frontend"].map(read));
    if (type === undefined || params === undefined || state === undefined) return; // still being written
    const key = keyOf(domid, devid);
    let image: BlockImage | undefined;
    try {
      image = await openImage(type, params, mode === "r");
      const info = (mode === "r" ? VDISK_READONLY : 0) | (devtype === "cdrom" ? VDISK_CDROM : 0);
      await xs.write(`${be}/sectors`, String(Math.floor(image.sizeBytes / SECTOR_BYTES)));
      await xs.write(`${be}/sector-size`, String(SECTOR_BYTES));
      await xs.write(`${be}/info`, String(info));
      await xs.write(`${be}/format`, image.format);
      await xs.write(`${be}/feature-flush-cache`, "1");
      const blk = virtio === "1" ? new VirtioBlk(image, `domus-${domid}-${devid}`, (msg) => this.log(`domain ${domid} disk ${devid}: ${msg}`)) : undefined;
      const pvFrontend = blk === undefined ? frontend : undefined;
      // In the table before attaching: the kernel pushes unanswered requests at once.
      this.vbds.set(key, { domid, devid, image, virtio: blk, frontend: pvFrontend, blkif: undefined });
      if (blk !== undefined) {
        const slot = await this.kernel.attach({ domid, devid, deviceId: blk.deviceId, features: blk.features, config: blk.config() });
        await xs.write(`${be}/slot`, String(slot));
        if (Number(state) !== XenbusState.Connected) await xs.write(`${be}/state`, String(XenbusState.Connected));
      } else if (Number(state) < XenbusState.InitWait) {
        await xs.write(`${be}/state`, String(XenbusState.InitWait));
      }
      if (pvFrontend !== undefined) await this.store.watch(`${pvFrontend}/state`, `fe:${key}`);
      this.log(`domain ${domid} disk ${devid}: ${type}:${params} (${image.format}, ${image.sizeBytes} bytes${mode === "r" ? ", read-only" : ""})`);
    } catch (e) {
      this.vbds.delete(key);
      await image?.close().catch(() => {});
      const why = (e as Error).message;
      this.failed.add(key);
      this.log(`domain ${domid} disk ${devid}: ${why}`);
      await xs.write(`${be}/hotplug-error`, why).catch(() => {});
      await xs.write(`${be}/state`, String(XenbusState.Closed)).catch(() => {});
    }
  }

  /** PV: once the frontend published its ring (Initialised, or Connected after our restart), serve it. */
  private async connectRing(vbd: Vbd): Promise<void> {
    const xs = this.store.get();
    const fe = vbd.frontend as string;
    const read = (k: string): Promise<string | undefined> => xs.readIfExists(`${fe}/${k}`);
    const state = Number(await read("state"));
    if (state !== XenbusState.Initialised && state !== XenbusState.Connected) return;
    const ref = Number(await read("ring-ref"));
    const port = Number(await read("event-channel"));
    const be = backendPath("vbd", vbd.domid, vbd.devid);
    const where = `domain ${vbd.domid} disk ${vbd.devid}`;
    if (!Number.isInteger(ref) || ref < 0 || !Number.isInteger(port) || port <= 0) {
      this.log(`${where}: the frontend's ring-ref or event-channel is missing or not a number`);
      return;
    }
    const server = new BlkifServer(vbd.image, vbd.domid, vbd.devid, this.kernel, (msg) => this.log(`${where}: ${msg}`));
    try {
      vbd.blkif = server; // before binding: the kernel pushes unanswered requests at once
      await this.kernel.bindRing({ domid: vbd.domid, devid: vbd.devid, ring: BlkifServer.ring, ref, port, slotSize: BlkifServer.slotSize, rspSize: BlkifServer.rspSize });
    } catch (e) {
      vbd.blkif = undefined;
      this.log(`${where}: cannot serve the ring: ${(e as Error).message}`);
      await xs.write(`${be}/hotplug-error`, (e as Error).message).catch(() => {});
      return;
    }
    await xs.write(`${be}/state`, String(XenbusState.Connected));
    this.log(`${where}: ring connected (grant ${ref}, port ${port})`);
  }

  private async tearDown(vbd: Vbd): Promise<void> {
    this.vbds.delete(keyOf(vbd.domid, vbd.devid));
    if (vbd.frontend !== undefined) await this.store.unwatch(`${vbd.frontend}/state`, `fe:${keyOf(vbd.domid, vbd.devid)}`);
    if (vbd.blkif !== undefined) await this.kernel.unbindRing(vbd.domid, vbd.devid, BlkifServer.ring).catch(() => {});
    // The domain may be gone already (destroyed): then there is nothing to unplug.
    if (vbd.virtio !== undefined) await this.kernel.detach(vbd.domid, vbd.devid).catch(() => {});
    await vbd.image.close().catch(() => {});
    this.log(`domain ${vbd.domid} disk ${vbd.devid}: closed`);
  }

  async close(): Promise<void> {
    for (const vbd of this.vbds.values()) await vbd.image.close().catch(() => {});
    this.vbds.clear();
  }
}


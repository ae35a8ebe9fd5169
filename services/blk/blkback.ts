// The block service's device driver (Xen's blkback), under the generic xenbus backend
// (services/common/xenbus-backend.ts): a disk is its image, opened from the backend's `type` and
// `params`; the frontend learns its size and flags from `sectors`, `sector-size`, `info` and
// `feature-flush-cache`. An HVM guest's disk is served as virtio-blk, a PV guest's through its
// blkif ring.

import type { DeviceDriver, DeviceRef, NodeReader, OpenDevice } from "../common/xenbus-backend.js";
import type { KernelPort } from "../common/kernel-port.js";
import { VDISK_CDROM, VDISK_READONLY } from "../../kernel/public/xen/xenbus.js";
import { ImageError, type BlockImage } from "./image.js";
import { openImage } from "./open-image.js";
import { SECTOR_BYTES, VirtioBlk } from "./virtio-blk.js";
import { BlkifServer } from "./blkif.js";

export interface Vbd extends OpenDevice {
  readonly image: BlockImage;
  readonly virtio: VirtioBlk | undefined;
}

export class BlockDriver implements DeviceDriver<Vbd> {
  readonly cls = "vbd";

  constructor(private readonly kernel: KernelPort, private readonly log: (msg: string) => void) {}

  async open(ref: DeviceRef, node: NodeReader, publish: (key: string, value: string) => Promise<void>, virtio: boolean): Promise<Vbd> {
    const [type, params, mode, devtype] = await Promise.all(["type", "params", "mode", "device-type"].map(node));
    if (type === undefined || params === undefined) throw new ImageError("the disk's type or params node is missing");
    const image = await openImage(type, params, mode === "r");
    try {
      await publish("sectors", String(Math.floor(image.sizeBytes / SECTOR_BYTES)));
      await publish("sector-size", String(SECTOR_BYTES));
      await publish("info", String((mode === "r" ? VDISK_READONLY : 0) | (devtype === "cdrom" ? VDISK_CDROM : 0)));
      await publish("format", image.format);
      await publish("feature-flush-cache", "1");
    } catch (e) {
      await image.close();
      throw e;
    }
    this.log(`${ref.label}: ${type}:${params} (${image.format}, ${image.sizeBytes} bytes${mode === "r" ? ", read-only" : ""})`);
    const blk = virtio ? new VirtioBlk(image, `domus-${ref.domid}-${ref.devid}`, (msg) => this.log(`${ref.label}: ${msg}`)) : undefined;
    return { image, virtio: blk };
  }

  async connect(vbd: Vbd, ref: DeviceRef, frontend: NodeReader): Promise<void> {
    const ringRef = Number(await frontend("ring-ref"));
    const port = Number(await frontend("event-channel"));
    if (!Number.isInteger(ringRef) || ringRef < 0 || !Number.isInteger(port) || port <= 0) {
      throw new Error("the frontend's ring-ref or event-channel is missing or not a number");
    }
    const server = new BlkifServer(vbd.image, ref.domid, ref.devid, this.kernel, (msg) => this.log(`${ref.label}: ${msg}`));
    vbd.serveRing = (frame) => void server.serve(frame);
    await this.kernel.bindRing({ domid: ref.domid, devid: ref.devid, ring: BlkifServer.ring, ref: ringRef, port, slotSize: BlkifServer.slotSize, rspSize: BlkifServer.rspSize });
  }

  async close(vbd: Vbd, ref: DeviceRef, bound: boolean): Promise<void> {
    if (bound) await this.kernel.unbindRing(ref.domid, ref.devid, BlkifServer.ring).catch(() => {});
    await vbd.image.close();
  }
}

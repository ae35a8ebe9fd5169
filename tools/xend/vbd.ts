// Virtual disks (class vbd) as xend plugs them in (xenbus-devices.ts). Besides Xen's nodes, the
// backend gets `virtio` = 1 when the frontend is the kernel's virtio-blk (HVM guests). xend waits
// for Connected for an HVM guest's disk (the kernel has it in a virtio slot), InitWait for a PV
// guest's (its blkfront connects later).

import { backendPath, frontendPath, BACKEND_DOMID, BACKEND_VIRTIO, XenbusState } from "../../kernel/public/xen/xenbus.js";
import type { XendVbd } from "../../kernel/public/xend-protocol.js";
import type { DiskSpec } from "../config/disk.js";
import { vdevToNumber } from "../config/vdev.js";
import { listDevices, plugDevices, unplugDevice, type DeviceNodes } from "./xenbus-devices.js";

function nodesOf(disk: DiskSpec, virtio: boolean): DeviceNodes {
  const devid = vdevToNumber(disk.vdev);
  return {
    devid,
    label: `disk ${disk.vdev} (${disk.type}:${disk.path})`,
    backend: [
      ["params", disk.path], ["type", disk.type], ["mode", disk.mode], ["dev", disk.vdev], ["device-type", disk.devtype],
      ...(virtio ? [[BACKEND_VIRTIO, "1"] as const] : []),
    ],
    frontend: [["virtual-device", String(devid)], ["device-type", disk.devtype]],
  };
}

/** Plug `disks` into domain `domid` and wait for the block service to take them. */
export async function plugDisks(storeSocket: string, domid: number, disks: readonly DiskSpec[], virtio: boolean): Promise<void> {
  await plugDevices(storeSocket, domid, "vbd", disks.map((d) => nodesOf(d, virtio)), virtio ? XenbusState.Connected : XenbusState.InitWait);
}

export async function unplugDisk(storeSocket: string, domid: number, devid: number): Promise<void> {
  await unplugDevice(storeSocket, domid, "vbd", devid, "disk");
}

/** The domain's disks as the store shows them, for block-list. */
export async function listDisks(storeSocket: string, domid: number): Promise<XendVbd[]> {
  return listDevices(storeSocket, domid, "vbd", async (devid, read) => {
    const be = backendPath("vbd", domid, devid);
    const fe = frontendPath(domid, "vbd", devid);
    const numberOr = (text: string): number => (/^\d+$/.test(text) ? Number(text) : -1);
    return {
      vdev: devid, dev: await read(`${be}/dev`), backendId: BACKEND_DOMID, state: numberOr(await read(`${be}/state`)),
      eventChannel: numberOr(await read(`${fe}/event-channel`)), ringRef: numberOr(await read(`${fe}/ring-ref`)),
      backendPath: be, uname: `${await read(`${be}/type`)}:${await read(`${be}/params`)}`, mode: await read(`${be}/mode`),
      format: await read(`${be}/format`), sectors: numberOr(await read(`${be}/sectors`)),
    };
  });
}

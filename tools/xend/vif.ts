// Virtual network interfaces (class vif) as xend plugs them in (xenbus-devices.ts). The backend
// nodes are Xen's (handle, mac, bridge, rate as "bytes-per-window,window-us", type, model)
// plus `virtio` = 1 when the frontend is the kernel's virtio-net (every NIC of an HVM guest). xend
// waits for Connected for a virtio NIC, InitWait for a PV guest's (its netfront connects later).

import { backendPath, frontendPath, BACKEND_DOMID, BACKEND_VIRTIO, XenbusState } from "../../kernel/public/xen/xenbus.js";
import type { XendVif } from "../../kernel/public/xend-protocol.js";
import { DEFAULT_BRIDGE } from "../../kernel/public/net-protocol.js";
import type { VifSpec } from "../config/vif.js";
import { randomMac } from "../config/mac.js";
import { listDevices, plugDevices, unplugDevice, type DeviceNodes } from "./xenbus-devices.js";

/** A NIC with its MAC fixed, as xend records it so a restarted domain keeps its addresses. */
export function withMac(vif: VifSpec): VifSpec & { readonly mac: string } {
  return { ...vif, mac: vif.mac ?? randomMac() };
}

function nodesOf(vif: VifSpec & { readonly mac: string }, devid: number, virtio: boolean): DeviceNodes {
  const rate = vif.rate === undefined ? [] : [["rate", `${Math.floor(vif.rate.bytesPerSecond * vif.rate.windowUs / 1e6)},${vif.rate.windowUs}`] as const];
  return {
    devid,
    label: `network interface ${devid} (${vif.mac})`,
    backend: [
      ["handle", String(devid)], ["mac", vif.mac], ["bridge", vif.bridge ?? DEFAULT_BRIDGE], ["type", vif.type ?? (virtio ? "ioemu" : "netfront")],
      ...(vif.model === undefined ? [] : [["model", vif.model] as const]), ...rate, ...(virtio ? [[BACKEND_VIRTIO, "1"] as const] : []),
    ],
    frontend: [["handle", String(devid)], ["mac", vif.mac]],
  };
}

/** Plug NICs (devid = their index) into domain `domid` and wait for the network service to take them. */
export async function plugVifs(storeSocket: string, domid: number, vifs: readonly (VifSpec & { readonly mac: string })[], virtio: boolean, firstDevid = 0): Promise<void> {
  await plugDevices(storeSocket, domid, "vif", vifs.map((v, i) => nodesOf(v, firstDevid + i, virtio)), virtio ? XenbusState.Connected : XenbusState.InitWait);
}

export async function unplugVif(storeSocket: string, domid: number, devid: number): Promise<void> {
  await unplugDevice(storeSocket, domid, "vif", devid, "network interface");
}

/** The domain's NICs as the store shows them, for network-list. */
export async function listVifs(storeSocket: string, domid: number): Promise<XendVif[]> {
  return listDevices(storeSocket, domid, "vif", async (devid, read) => {
    const be = backendPath("vif", domid, devid);
    const fe = frontendPath(domid, "vif", devid);
    const numberOr = (text: string): number => (/^\d+$/.test(text) ? Number(text) : -1);
    return {
      idx: devid, backendId: BACKEND_DOMID, mac: await read(`${be}/mac`), handle: devid, state: numberOr(await read(`${be}/state`)),
      eventChannel: numberOr(await read(`${fe}/event-channel`)), txRingRef: numberOr(await read(`${fe}/tx-ring-ref`)),
      rxRingRef: numberOr(await read(`${fe}/rx-ring-ref`)), backendPath: be, bridge: await read(`${be}/bridge`),
    };
  });
}

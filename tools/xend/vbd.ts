// Virtual disks as xend plugs them in, the way Xen's toolstack does: it writes the device's
// frontend nodes (in the guest's home) and backend nodes (in Domain-0's backend/vbd) to the
// store; the block service, watching backend/vbd, opens the image and steps the backend's state.
// xend waits for that before the guest starts: Connected for an HVM guest's virtio disk (the
// kernel has the device in a virtio slot), InitWait for a PV guest (its blkfront connects later).

import type { XsClient } from "../../services/store/client.js";
import { XsClientError } from "../../services/store/client.js";
import {
  backendPath, frontendPath, VBD_VIRTIO, XenbusState, BACKEND_DOMID,
} from "../../kernel/public/xen/xenbus.js";
import type { DiskSpec } from "../config/disk.js";
import type { XendVbd } from "../../kernel/public/xend-protocol.js";
import { vdevToNumber } from "../config/vdev.js";
import { StoreUnavailable, withStore } from "./store-session.js";

/** How long the block service may take to open a disk and answer. */
export const BACKEND_SETUP_TIMEOUT_MS = 15_000;

export interface PlacedDisk {
  readonly disk: DiskSpec;
  readonly devid: number;
  readonly backend: string;
}

/** Write one disk's frontend and backend nodes in one transaction (retried on conflict). */
async function writeNodes(client: XsClient, domid: number, disk: DiskSpec, virtio: boolean): Promise<PlacedDisk> {
  const devid = vdevToNumber(disk.vdev);
  const fe = frontendPath(domid, "vbd", devid);
  const be = backendPath("vbd", domid, devid);
  for (;;) {
    const tx = await client.transactionStart();
    try {
      if (await exists(client, be, tx)) {
        await client.transactionEnd(tx, false);
        throw new StoreUnavailable(`domain ${domid} already has a disk ${disk.vdev} (device ${devid})`);
      }
      const backendNodes: [string, string][] = [
        ["frontend", fe], ["frontend-id", String(domid)], ["online", "1"], ["state", String(XenbusState.Initialising)],
        ["params", disk.path], ["type", disk.type], ["mode", disk.mode], ["dev", disk.vdev], ["device-type", disk.devtype],
        ...(virtio ? [[VBD_VIRTIO, "1"] as [string, string]] : []),
      ];
      const frontendNodes: [string, string][] = [
        ["backend", be], ["backend-id", String(BACKEND_DOMID)], ["state", String(XenbusState.Initialising)],
        ["virtual-device", String(devid)], ["device-type", disk.devtype],
      ];
      for (const [k, v] of backendNodes) await client.write(`${be}/${k}`, v, tx);
      await client.setPerms(be, [`n${BACKEND_DOMID}`, `r${domid}`], tx);
      for (const [k, v] of frontendNodes) await client.write(`${fe}/${k}`, v, tx);
      await client.setPerms(fe, [`n${domid}`, `r${BACKEND_DOMID}`], tx);
      await client.transactionEnd(tx, true);
      return { disk, devid, backend: be };
    } catch (e) {
      if (e instanceof XsClientError && e.code === "EAGAIN") continue;
      throw e;
    }
  }
}

async function exists(client: XsClient, path: string, tx = 0): Promise<boolean> {
  try {
    await client.read(path, tx);
    return true;
  } catch (e) {
    if (e instanceof XsClientError && e.code === "ENOENT") return false;
    throw e;
  }
}

async function readOr(client: XsClient, path: string): Promise<string | undefined> {
  try {
    return (await client.read(path)).toString();
  } catch (e) {
    if (e instanceof XsClientError && e.code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * Wait until each backend reaches `want` (or beyond); a backend that reports `hotplug-error`
 * fails the wait with its message.
 */
async function waitForBackends(client: XsClient, placed: readonly PlacedDisk[], want: number, timeoutMs: number): Promise<void> {
  const waiting = new Set(placed);
  let wake = (): void => {};
  client.onWatch = () => wake();
  for (const p of placed) {
    await client.watch(`${p.backend}/state`, p.backend);
    await client.watch(`${p.backend}/hotplug-error`, p.backend);
  }
  const deadline = Date.now() + timeoutMs;
  while (waiting.size > 0) {
    for (const p of [...waiting]) {
      const error = await readOr(client, `${p.backend}/hotplug-error`);
      if (error !== undefined) throw new StoreUnavailable(`disk ${p.disk.vdev} (${p.disk.type}:${p.disk.path}): ${error}`);
      const state = Number(await readOr(client, `${p.backend}/state`));
      if (state >= want && state <= XenbusState.Connected) waiting.delete(p);
    }
    if (waiting.size === 0) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      const names = [...waiting].map((p) => p.disk.vdev).join(", ");
      throw new StoreUnavailable(`the block service did not set up disk ${names} within ${timeoutMs / 1000} s; is it running? (\`domus status\`)`);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.min(left, 250));
      wake = () => { clearTimeout(t); resolve(); };
    });
  }
}

/** Plug `disks` into domain `domid` and wait for the block service to take them. */
export async function plugDisks(storeSocket: string, domid: number, disks: readonly DiskSpec[], virtio: boolean, timeoutMs = BACKEND_SETUP_TIMEOUT_MS): Promise<PlacedDisk[]> {
  if (disks.length === 0) return [];
  return withStore(storeSocket, `the disks of domain ${domid}`, async (client) => {
    const placed: PlacedDisk[] = [];
    for (const d of disks) placed.push(await writeNodes(client, domid, d, virtio));
    await waitForBackends(client, placed, virtio ? XenbusState.Connected : XenbusState.InitWait, timeoutMs);
    return placed;
  }, timeoutMs + 5000);
}

/** Remove one disk's nodes: the block service sees its backend go and closes the image. */
export async function unplugDisk(storeSocket: string, domid: number, devid: number): Promise<void> {
  await withStore(storeSocket, `removing disk ${devid} of domain ${domid}`, async (client) => {
    if (!(await exists(client, backendPath("vbd", domid, devid)))) {
      throw new StoreUnavailable(`domain ${domid} has no disk with device number ${devid}`);
    }
    await client.rm(backendPath("vbd", domid, devid));
    await client.rm(frontendPath(domid, "vbd", devid)).catch(() => {});
  });
}

/** A domain is gone: remove its devices' nodes, frontend and backend. */
export async function forgetDomainDevices(storeSocket: string, domid: number): Promise<void> {
  await withStore(storeSocket, `the devices of domain ${domid}`, async (client) => {
    await client.rm(`/local/domain/${BACKEND_DOMID}/backend/vbd/${domid}`).catch(() => {});
    await client.rm(`/local/domain/${domid}/device`).catch(() => {});
  });
}

/** The domain's disks as the store shows them, for block-list. */
export async function listDisks(storeSocket: string, domid: number): Promise<XendVbd[]> {
  return withStore(storeSocket, `the disks of domain ${domid}`, async (client) => {
    let ids: string[];
    try {
      ids = await client.directory(`/local/domain/${BACKEND_DOMID}/backend/vbd/${domid}`);
    } catch (e) {
      if (e instanceof XsClientError && e.code === "ENOENT") return [];
      throw e;
    }
    const rows: XendVbd[] = [];
    for (const id of ids) {
      const devid = Number(id);
      const be = backendPath("vbd", domid, devid);
      const fe = frontendPath(domid, "vbd", devid);
      const read = async (path: string): Promise<string> => (await readOr(client, path)) ?? "";
      const numberOr = (text: string): number => (/^\d+$/.test(text) ? Number(text) : -1);
      rows.push({
        vdev: devid, dev: await read(`${be}/dev`), backendId: BACKEND_DOMID, state: numberOr(await read(`${be}/state`)),
        eventChannel: numberOr(await read(`${fe}/event-channel`)), ringRef: numberOr(await read(`${fe}/ring-ref`)),
        backendPath: be, uname: `${await read(`${be}/type`)}:${await read(`${be}/params`)}`, mode: await read(`${be}/mode`),
        format: await read(`${be}/format`), sectors: numberOr(await read(`${be}/sectors`)),
      });
    }
    return rows.sort((a, b) => a.vdev - b.vdev);
  });
}

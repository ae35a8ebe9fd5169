// Split devices as xend plugs them in, the way Xen's toolstack does: for each device it writes
// the frontend nodes (in the guest's home, owned by the guest) and the backend nodes (in Domain-0's
// backend/<class>, readable by the guest) to the store in one transaction; the backend service,
// watching its class, opens what the device needs and steps the backend's state. xend waits for
// that state before the guest runs. vbd.ts and vif.ts say what each class's nodes hold.

import type { XsClient } from "../../services/store/client.js";
import { XsClientError } from "../../services/store/client.js";
import {
  backendPath, frontendPath, XenbusState, BACKEND_DOMID, type DeviceClass,
} from "../../kernel/public/xen/xenbus.js";
import { StoreUnavailable, withStore } from "./store-session.js";

/** How long a backend service may take to set a device up. */
export const BACKEND_SETUP_TIMEOUT_MS = 15_000;

export interface DeviceNodes {
  readonly devid: number;
  /** Names the device in messages, e.g. "disk xvda (file:/img)". */
  readonly label: string;
  readonly backend: readonly (readonly [string, string])[];
  readonly frontend: readonly (readonly [string, string])[];
  /** Backend nodes the guest must not read (a VNC password): Domain-0's alone. */
  readonly secret?: readonly (readonly [string, string])[];
}

/** Write one device's nodes in one transaction (retried on conflict). */
async function writeNodes(client: XsClient, domid: number, cls: DeviceClass, d: DeviceNodes): Promise<void> {
  const fe = frontendPath(domid, cls, d.devid);
  const be = backendPath(cls, domid, d.devid);
  for (;;) {
    const tx = await client.transactionStart();
    try {
      if ((await client.readIfExists(be, tx)) !== undefined) {
        await client.transactionEnd(tx, false);
        throw new StoreUnavailable(`domain ${domid} already has ${d.label} (device ${d.devid})`);
      }
      // Each directory first, with its permissions, then its nodes: a node takes its parent's
      // permissions when it is made (libxl's order). The guest must be able to list its device
      // class, read its frontend and the backend, and write its frontend's nodes.
      const classDir = `/local/domain/${domid}/device/${cls}`;
      if ((await client.readIfExists(classDir, tx)) === undefined) {
        await client.write(classDir, "", tx);
        await client.setPerms(classDir, [`n${BACKEND_DOMID}`, `r${domid}`], tx);
      }
      const common: [string, string][] = [["state", String(XenbusState.Initialising)]];
      await client.write(be, "", tx);
      await client.setPerms(be, [`n${BACKEND_DOMID}`, `r${domid}`], tx);
      for (const [k, v] of [["frontend", fe], ["frontend-id", String(domid)], ["online", "1"], ...common, ...d.backend]) {
        await client.write(`${be}/${k}`, v, tx);
      }
      for (const [k, v] of d.secret ?? []) {
        await client.write(`${be}/${k}`, v, tx);
        await client.setPerms(`${be}/${k}`, [`n${BACKEND_DOMID}`], tx);
      }
      await client.write(fe, "", tx);
      await client.setPerms(fe, [`n${domid}`, `r${BACKEND_DOMID}`], tx);
      for (const [k, v] of [["backend", be], ["backend-id", String(BACKEND_DOMID)], ...common, ...d.frontend]) {
        await client.write(`${fe}/${k}`, v, tx);
      }
      await client.transactionEnd(tx, true);
      return;
    } catch (e) {
      if (e instanceof XsClientError && e.code === "EAGAIN") continue;
      throw e;
    }
  }
}

/**
 * Wait until each backend reaches `want` (or beyond, up to Connected); a backend that reports
 * `hotplug-error` fails the wait with its message.
 */
async function waitForBackends(client: XsClient, domid: number, cls: DeviceClass, devices: readonly DeviceNodes[], want: number, timeoutMs: number): Promise<void> {
  const waiting = new Set(devices);
  let wake = (): void => {};
  client.onWatch = () => wake();
  for (const d of devices) {
    const be = backendPath(cls, domid, d.devid);
    await client.watch(`${be}/state`, be);
    await client.watch(`${be}/hotplug-error`, be);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const d of [...waiting]) {
      const be = backendPath(cls, domid, d.devid);
      const error = await client.readIfExists(`${be}/hotplug-error`);
      if (error !== undefined) throw new StoreUnavailable(`${d.label}: ${error}`);
      const state = Number(await client.readIfExists(`${be}/state`));
      if (state >= want && state <= XenbusState.Connected) waiting.delete(d);
    }
    if (waiting.size === 0) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      const names = [...waiting].map((d) => d.label).join(", ");
      throw new StoreUnavailable(`the ${cls} backend did not set up ${names} within ${timeoutMs / 1000} s; is its service running? (\`domus status\`)`);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.min(left, 250));
      wake = () => { clearTimeout(t); resolve(); };
    });
  }
}

/** Plug `devices` of class `cls` into domain `domid` and wait until their backend reaches `want`. */
export async function plugDevices(storeSocket: string, domid: number, cls: DeviceClass, devices: readonly DeviceNodes[], want: number, timeoutMs = BACKEND_SETUP_TIMEOUT_MS): Promise<void> {
  if (devices.length === 0) return;
  await withStore(storeSocket, `the ${cls} devices of domain ${domid}`, async (client) => {
    for (const d of devices) await writeNodes(client, domid, cls, d);
    await waitForBackends(client, domid, cls, devices, want, timeoutMs);
  }, timeoutMs + 5000);
}

/** Remove one device's nodes: its backend sees them go and lets the device go. */
export async function unplugDevice(storeSocket: string, domid: number, cls: DeviceClass, devid: number, what: string): Promise<void> {
  await withStore(storeSocket, `removing ${what} ${devid} of domain ${domid}`, async (client) => {
    if ((await client.readIfExists(backendPath(cls, domid, devid))) === undefined) {
      throw new StoreUnavailable(`domain ${domid} has no ${what} with device number ${devid}`);
    }
    await client.rm(backendPath(cls, domid, devid));
    await client.rm(frontendPath(domid, cls, devid)).catch(() => {});
  });
}

/** The device numbers of domain `domid`'s devices of class `cls`, with a reader for each one's nodes. */
export async function listDevices<T>(storeSocket: string, domid: number, cls: DeviceClass, row: (devid: number, read: (path: string) => Promise<string>) => Promise<T>): Promise<T[]> {
  return withStore(storeSocket, `the ${cls} devices of domain ${domid}`, async (client) => {
    const ids = await client.directoryIfExists(`/local/domain/${BACKEND_DOMID}/backend/${cls}/${domid}`);
    const read = async (path: string): Promise<string> => (await client.readIfExists(path)) ?? "";
    const rows: T[] = [];
    for (const id of ids.map(Number).sort((a, b) => a - b)) rows.push(await row(id, read));
    return rows;
  });
}

/** A domain is gone: remove every device's nodes, frontend and backend. */
export async function forgetDomainDevices(storeSocket: string, domid: number): Promise<void> {
  await withStore(storeSocket, `the devices of domain ${domid}`, async (client) => {
    for (const cls of await client.directoryIfExists(`/local/domain/${BACKEND_DOMID}/backend`)) {
      await client.rm(`/local/domain/${BACKEND_DOMID}/backend/${cls}/${domid}`).catch(() => {});
    }
    await client.rm(`/local/domain/${domid}/device`).catch(() => {});
  });
}

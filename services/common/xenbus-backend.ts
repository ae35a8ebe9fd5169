// The part of every backend service that is the same for each device class (Xen's xenbus
// backend core): it watches Domain-0's backend/<class> in the store and brings the open devices
// in line with it. A new device is opened by the class's driver; an HVM guest's device (backend
// node virtio = 1) is plugged into the kernel as a virtio device and goes Connected; a PV
// guest's device goes InitWait and waits for its frontend to publish its rings (state
// Initialised, or Connected after a restart of this service), which the driver binds. A device
// whose nodes are removed is unplugged and closed. After a restart the service finds its devices
// in the store again and attaches or binds them again; the kernel re-sends what was unanswered.

import type { RingRequestsFrame, VirtioRequestFrame } from "../../kernel/public/protocol.js";
import type { VirtioBackend } from "../../kernel/host/virtio-backend.js";
import {
  backendPath, backendRoot, BACKEND_VIRTIO, XenbusState, type DeviceClass,
} from "../../kernel/public/xen/xenbus.js";
import type { KernelPort } from "./kernel-port.js";
import type { StoreLink } from "./store-link.js";

export interface DeviceRef {
  readonly domid: number;
  readonly devid: number;
  /** "domain 3 disk 51712": how messages name it. */
  readonly label: string;
}

/** A device as the driver keeps it: its virtio model (HVM) and whatever serves its rings (PV). */
export interface OpenDevice {
  readonly virtio: VirtioBackend | undefined;
  /** Served with no frontend at all (an HVM guest's console screen): Connected at once. */
  readonly standalone?: boolean;
  /** Requests from the frontend's rings; undefined until the rings are bound. */
  serveRing?: (frame: RingRequestsFrame) => void;
}

export type NodeReader = (key: string) => Promise<string | undefined>;

/** What one device class's backend does; XenbusBackend does the rest. */
export interface DeviceDriver<D extends OpenDevice> {
  readonly cls: DeviceClass;
  /**
   * Open what the device needs from its backend nodes, and publish (as backend nodes) what the
   * frontend reads. `virtio`: the frontend is the kernel's virtio device. Throws to refuse the
   * device: the message goes to the backend's hotplug-error node for the toolstack to show.
   */
  open(ref: DeviceRef, node: NodeReader, publish: (key: string, value: string) => Promise<void>, virtio: boolean): Promise<D>;
  /** PV: bind the rings the frontend published (read with `frontend`); set `serveRing` before binding. */
  connect(dev: D, ref: DeviceRef, frontend: NodeReader): Promise<void>;
  /** Let the device go: unbind its rings if `bound`, release what it holds. */
  close(dev: D, ref: DeviceRef, bound: boolean): Promise<void>;
}

interface Entry<D> {
  readonly ref: DeviceRef;
  readonly dev: D;
  /** PV: the frontend's directory. */
  readonly frontend: string | undefined;
  bound: boolean;
}

const keyOf = (domid: number, devid: number): string => `${domid}/${devid}`;

export class XenbusBackend<D extends OpenDevice> {
  private readonly devices = new Map<string, Entry<D>>();
  /** Devices that failed to set up: not retried until their nodes go and come back. */
  private readonly failed = new Set<string>();
  private scanning: Promise<void> | undefined;
  private again = false;
  readonly watchPath: string;

  constructor(
    private readonly driver: DeviceDriver<D>,
    private readonly noun: string,
    private readonly kernel: KernelPort,
    private readonly store: StoreLink,
    private readonly log: (msg: string) => void,
  ) {
    this.watchPath = backendRoot(driver.cls);
    kernel.onRequest((req) => this.serveVirtio(req));
    // Not bound yet (the service just restarted): the kernel sends them again once bound.
    kernel.onRingRequests((frame) => this.devices.get(keyOf(frame.domid, frame.devid))?.dev.serveRing?.(frame));
  }

  /** Something changed below the watched paths: bring the open devices in line with the store. */
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


  private serveVirtio(req: VirtioRequestFrame): void {
    const virtio = this.devices.get(keyOf(req.domid, req.devid))?.dev.virtio;
    // Not open yet (the service just restarted): the kernel sends it again once attached.
    if (virtio === undefined) return;
    void virtio.serve({ queue: req.queue, readable: req.raw, writableBytes: req.writable }).then((a) => {
      this.kernel.done(req.tag, a.written, a.data);
    });
  }

  private async scan(): Promise<void> {
    const xs = this.store.get();
    const present = new Set<string>();
    for (const dom of await xs.directoryIfExists(this.watchPath)) {
      for (const dev of await xs.directoryIfExists(`${this.watchPath}/${dom}`)) {
        const domid = Number(dom);
        const devid = Number(dev);
        if (!Number.isSafeInteger(domid) || !Number.isSafeInteger(devid)) continue;
        const key = keyOf(domid, devid);
        present.add(key);
        if (this.failed.has(key)) continue;
        if (!this.devices.has(key)) await this.setUp(domid, devid);
        const entry = this.devices.get(key);
        if (entry?.frontend !== undefined && !entry.bound) await this.connect(entry);
      }
    }
    for (const [key, entry] of this.devices) if (!present.has(key)) await this.tearDown(key, entry);
    for (const key of this.failed) if (!present.has(key)) this.failed.delete(key);
  }

  private async refuse(ref: DeviceRef, why: string): Promise<void> {
    const xs = this.store.get();
    const be = backendPath(this.driver.cls, ref.domid, ref.devid);
    this.failed.add(keyOf(ref.domid, ref.devid));
    this.log(`${ref.label}: ${why}`);
    await xs.write(`${be}/hotplug-error`, why).catch(() => {});
    await xs.write(`${be}/state`, String(XenbusState.Closed)).catch(() => {});
  }

  private async setUp(domid: number, devid: number): Promise<void> {
    const xs = this.store.get();
    const be = backendPath(this.driver.cls, domid, devid);
    const node: NodeReader = (k) => xs.readIfExists(`${be}/${k}`);
    const [state, frontend, virtio] = await Promise.all(["state", "frontend", BACKEND_VIRTIO].map(node));
    if (state === undefined) return; // still being written
    const ref: DeviceRef = { domid, devid, label: `domain ${domid} ${this.noun} ${devid}` };
    const key = keyOf(domid, devid);
    let entry: Entry<D> | undefined;
    try {
      const dev = await this.driver.open(ref, node, (k, v) => xs.write(`${be}/${k}`, v), virtio === "1");
      const alone = dev.virtio !== undefined || dev.standalone === true;
      entry = { ref, dev, frontend: alone ? undefined : frontend, bound: false };
      // In the table before attaching: the kernel pushes unanswered requests at once.
      this.devices.set(key, entry);
      if (dev.virtio !== undefined) {
        const v = dev.virtio;
        const slot = await this.kernel.attach({
          domid, devid, deviceId: v.deviceId, features: v.features, config: v.config(),
          ...(v.configPages === undefined ? {} : { configPages: v.configPages }),
        });
        await xs.write(`${be}/slot`, String(slot));
      }
      const next = alone ? XenbusState.Connected : XenbusState.InitWait;
      if (Number(state) < next) await xs.write(`${be}/state`, String(next));
      if (entry.frontend !== undefined) await this.store.watch(`${entry.frontend}/state`, `fe:${key}`);
    } catch (e) {
      this.devices.delete(key);
      if (entry !== undefined) await this.driver.close(entry.dev, ref, false).catch(() => {});
      await this.refuse(ref, (e as Error).message);
    }
  }

  /** PV: once the frontend published its rings (Initialised, or Connected after our restart), bind them. */
  private async connect(entry: Entry<D>): Promise<void> {
    const xs = this.store.get();
    const fe = entry.frontend as string;
    const frontend: NodeReader = (k) => xs.readIfExists(`${fe}/${k}`);
    const state = Number(await frontend("state"));
    if (state !== XenbusState.Initialised && state !== XenbusState.Connected) return;
    const be = backendPath(this.driver.cls, entry.ref.domid, entry.ref.devid);
    try {
      await this.driver.connect(entry.dev, entry.ref, frontend);
    } catch (e) {
      entry.dev.serveRing = undefined;
      this.log(`${entry.ref.label}: cannot serve its rings: ${(e as Error).message}`);
      await xs.write(`${be}/hotplug-error`, (e as Error).message).catch(() => {});
      return;
    }
    entry.bound = true;
    await xs.write(`${be}/state`, String(XenbusState.Connected));
    this.log(`${entry.ref.label}: rings connected`);
  }

  private async tearDown(key: string, entry: Entry<D>): Promise<void> {
    this.devices.delete(key);
    if (entry.frontend !== undefined) await this.store.unwatch(`${entry.frontend}/state`, `fe:${key}`);
    // The domain may be gone already (destroyed): then there is nothing to unplug.
    if (entry.dev.virtio !== undefined) await this.kernel.detach(entry.ref.domid, entry.ref.devid).catch(() => {});
    await this.driver.close(entry.dev, entry.ref, entry.bound).catch(() => {});
    this.log(`${entry.ref.label}: closed`);
  }

  async close(): Promise<void> {
    for (const entry of this.devices.values()) await this.driver.close(entry.dev, entry.ref, false).catch(() => {});
    this.devices.clear();
  }
}

// A backend service's connection to the kernel: it says backend.hello with its instance name,
// plugs devices into domains, and answers the virtio requests the kernel pushes. If the kernel
// goes away the service has nothing to serve, so the caller exits and its supervisor decides.

import { FrameConnection } from "../../tools/lib/frame-connection.js";
import {
  KERNEL_SOCKET, PROTOCOL_VERSION, type FramebufferBand, type GrantSegmentSpec, type RingRequestsFrame, type VirtioConfigPage,
  type VirtioRequestFrame,
} from "../../kernel/public/protocol.js";
import { join } from "node:path";

/** An attach request, as device.attach takes it. */
export interface DeviceAttach {
  readonly domid: number;
  readonly devid: number;
  readonly deviceId: number;
  readonly features: bigint;
  readonly config: Uint8Array;
  readonly configPages?: readonly VirtioConfigPage[];
}

/** A count or index as the protocol sends them: a non-negative safe integer. */
const isCount = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

// Checked field by field, without building anything: one of these arrives for every request.
function virtioRequest(m: Record<string, unknown>): VirtioRequestFrame | undefined {
  if (m.event !== "virtio.request" || !(m.raw instanceof Uint8Array)) return undefined;
  if (!isCount(m.tag) || !isCount(m.domid) || !isCount(m.devid) || !isCount(m.queue) || !isCount(m.writable)) return undefined;
  return m as unknown as VirtioRequestFrame;
}

function ringRequests(m: Record<string, unknown>): RingRequestsFrame | undefined {
  const { positions } = m;
  if (m.event !== "ring.requests" || !(m.raw instanceof Uint8Array) || !Array.isArray(positions)) return undefined;
  if (!isCount(m.domid) || !isCount(m.devid) || !isCount(m.ring) || !positions.every(isCount)) return undefined;
  return m as unknown as RingRequestsFrame;
}

/** What a shared ring needs from its backend. */
export interface RingBind {
  readonly domid: number;
  readonly devid: number;
  /** Which of the device's rings (netif: 0 tx, 1 rx). */
  readonly ring: number;
  readonly ref: number;
  readonly port: number;
  readonly slotSize: number;
  readonly rspSize: number;
}

export class KernelPort {
  private constructor(private readonly conn: FrameConnection, readonly instance: string) {}

  static async connect(home: string, instance: string, log: (msg: string) => void): Promise<KernelPort> {
    const conn = await FrameConnection.connect(join(home, KERNEL_SOCKET), {
      what: "the Domus kernel", remedy: "start the host with `domus up`", bulk: true,
    });
    const port = new KernelPort(conn, instance);
    // Handlers first: events may arrive in the same read as the reply to hello.
    conn.onEvent((m) => {
      const req = virtioRequest(m);
      const ring = req === undefined ? ringRequests(m) : undefined;
      if (req !== undefined) for (const h of port.requestHandlers) h(req);
      else if (ring !== undefined) for (const h of port.ringHandlers) h(ring);
      else if (m.event === "evtchn.event" && typeof m.domid === "number" && typeof m.devid === "number") {
        for (const h of port.evtchnHandlers) h(m.domid, m.devid);
      }
      else log(`ignoring a malformed message from the kernel: ${String(m.event ?? m.op)}`);
    });
    await conn.request({ op: "backend.hello", version: PROTOCOL_VERSION, instance });
    return port;
  }

  // Several device classes may share one connection (vfb and vkbd): each handler takes its own.
  private readonly requestHandlers: ((req: VirtioRequestFrame) => void)[] = [];
  private readonly ringHandlers: ((req: RingRequestsFrame) => void)[] = [];
  private readonly evtchnHandlers: ((domid: number, devid: number) => void)[] = [];

  onRequest(handler: (req: VirtioRequestFrame) => void): void {
    this.requestHandlers.push(handler);
  }

  onRingRequests(handler: (req: RingRequestsFrame) => void): void {
    this.ringHandlers.push(handler);
  }

  /** The frontend notified a channel bound with bindEvtchn. */
  onEvtchnEvent(handler: (domid: number, devid: number) => void): void {
    this.evtchnHandlers.push(handler);
  }

  async bindEvtchn(domid: number, devid: number, port: number): Promise<void> {
    await this.conn.request({ op: "evtchn.bind", domid, devid, port });
  }

  async unbindEvtchn(domid: number, devid: number): Promise<void> {
    await this.conn.request({ op: "evtchn.unbind", domid, devid });
  }

  async notifyEvtchn(domid: number, devid: number): Promise<void> {
    await this.conn.request({ op: "evtchn.notify", domid, devid });
  }

  /** An HVM domain's framebuffer lines written since the last call (all when `full`). */
  async framebufferRead(domid: number, full: boolean): Promise<FramebufferBand> {
    const r = await this.conn.request({ op: "framebuffer.read", domid, full }) as Partial<FramebufferBand>;
    const { width, height, stride, y, h, data } = r;
    if (![width, height, stride, y, h].every((n) => typeof n === "number" && Number.isInteger(n) && n >= 0) || !(data instanceof Uint8Array)) {
      throw new Error("the kernel's framebuffer.read reply is malformed");
    }
    return r as FramebufferBand;
  }

  async grantWrite(domid: number, segments: readonly GrantSegmentSpec[], data: Uint8Array): Promise<void> {
    await this.conn.request({ op: "grant.write", domid, segments, data });
  }

  async bindRing(b: RingBind): Promise<void> {
    await this.conn.request({ op: "ring.bind", ...b });
  }

  async unbindRing(domid: number, devid: number, ring: number): Promise<void> {
    await this.conn.request({ op: "ring.unbind", domid, devid, ring });
  }

  /** The bytes of pages the domain granted to the backends' domain, segment after segment. */
  async grantRead(domid: number, segments: readonly GrantSegmentSpec[]): Promise<Uint8Array> {
    const r = await this.conn.request({ op: "grant.read", domid, segments });
    const data = (r as { data?: unknown }).data;
    if (!(data instanceof Uint8Array)) throw new Error("the kernel's grant.read reply carries no data");
    return data;
  }

  /** Answer ring requests: `data` goes into the granted pages `copies` name, then the responses. */
  ringRespond(domid: number, devid: number, ring: number, positions: readonly number[], copies: readonly GrantSegmentSpec[], data: Uint8Array, responses: Uint8Array): void {
    this.conn.post({ op: "ring.respond", domid, devid, ring, positions, copies }, data, responses);
  }

  onClose(handler: (why: Error) => void): void {
    this.conn.onClose(handler);
  }

  /** Plug a virtio device in; resolves with its slot (the same slot again after a restart). */
  async attach(a: DeviceAttach): Promise<number> {
    const r = await this.conn.request({
      op: "device.attach", domid: a.domid, devid: a.devid, deviceId: a.deviceId, features: Number(a.features), config: a.config,
      ...(a.configPages === undefined ? {} : { configPages: a.configPages }),
    });
    return (r as { slot: number }).slot;
  }

  async detach(domid: number, devid: number): Promise<void> {
    await this.conn.request({ op: "device.detach", domid, devid });
  }

  done(tag: number, written: number, data: Uint8Array): void {
    this.conn.post({ op: "virtio.done", tag, written }, data);
  }

  close(): void {
    this.conn.close();
  }
}

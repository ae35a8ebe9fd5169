// A backend service's connection to the kernel: it says backend.hello with its instance name,
// plugs devices into domains, and answers the virtio requests the kernel pushes. If the kernel
// goes away the service has nothing to serve, so the caller exits and its supervisor decides.

import { FrameConnection } from "../../tools/lib/frame-connection.js";
import { KERNEL_SOCKET, PROTOCOL_VERSION, type VirtioRequestFrame } from "../../kernel/public/protocol.js";
import { join } from "node:path";

/** An attach request, as device.attach takes it. */
export interface DeviceAttach {
  readonly domid: number;
  readonly devid: number;
  readonly deviceId: number;
  readonly features: bigint;
  readonly config: Uint8Array;
}

function virtioRequest(m: Record<string, unknown>): VirtioRequestFrame | undefined {
  const { tag, domid, devid, queue, writable, raw } = m;
  const ints = [tag, domid, devid, queue, writable];
  if (m.event !== "virtio.request" || !(raw instanceof Uint8Array)) return undefined;
  if (ints.some((v) => typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)) return undefined;
  return m as unknown as VirtioRequestFrame;
}

export class KernelPort {
  private constructor(private readonly conn: FrameConnection, readonly instance: string) {}

  static async connect(home: string, instance: string, log: (msg: string) => void): Promise<KernelPort> {
    const conn = await FrameConnection.connect(join(home, KERNEL_SOCKET), {
      what: "the Domus kernel", remedy: "start the host with `domus up`",
    });
    await conn.request({ op: "backend.hello", version: PROTOCOL_VERSION, instance });
    const port = new KernelPort(conn, instance);
    conn.onEvent((m) => {
      const req = virtioRequest(m);
      if (req === undefined) log(`ignoring a malformed message from the kernel: ${String(m.event ?? m.op)}`);
      else port.requestHandler(req);
    });
    return port;
  }

  private requestHandler: (req: VirtioRequestFrame) => void = () => {};

  onRequest(handler: (req: VirtioRequestFrame) => void): void {
    this.requestHandler = handler;
  }

  onClose(handler: (why: Error) => void): void {
    this.conn.onClose(handler);
  }

  /** Plug a virtio device in; resolves with its slot (the same slot again after a restart). */
  async attach(a: DeviceAttach): Promise<number> {
    const r = await this.conn.request({
      op: "device.attach", domid: a.domid, devid: a.devid, deviceId: a.deviceId, features: Number(a.features), config: a.config,
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

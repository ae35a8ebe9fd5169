// The client of the network service's control socket (kernel/public/net-protocol.ts), checking
// what comes back.

import { join } from "node:path";
import { FrameConnection, ProtocolViolation } from "../lib/frame-connection.js";
import { NET_CONTROL_SOCKET, type NetBridge, type NetCaptureResult, type NetPort, type NetRequest } from "../../kernel/public/net-protocol.js";
import { num, obj, str } from "../lib/check.js";

function list<T>(v: unknown, what: string, each: (x: unknown, what: string) => T): T[] {
  if (!Array.isArray(v)) throw new ProtocolViolation(`${what} must be a list`);
  return v.map((x, i) => each(x, `${what}[${i}]`));
}

export class NetClient {
  private constructor(private readonly conn: FrameConnection) {}

  static async connect(home: string): Promise<NetClient> {
    return new NetClient(await FrameConnection.connect(join(home, NET_CONTROL_SOCKET), {
      what: "the network service", remedy: "start the host with `domus up` (and see `domus status`)",
    }));
  }

  private call(req: NetRequest): Promise<unknown> {
    return this.conn.request({ ...req });
  }

  async bridges(): Promise<NetBridge[]> {
    return list(await this.call({ op: "bridges" }), "bridges reply", (x, what) => {
      const o = obj(x, what);
      const interfaces = list(o.interfaces, `${what}.interfaces`, (i, w) => { if (typeof i !== "string") throw new ProtocolViolation(`${w} must be text`); return i; });
      return { name: str(o, "name", what), id: str(o, "id", what), stp: "no", interfaces };
    });
  }

  async ports(): Promise<NetPort[]> {
    return list(await this.call({ op: "ports" }), "ports reply", (x, what) => {
      const o = obj(x, what);
      const n = (k: string): number => num(o, k, what);
      return {
        bridge: str(o, "bridge", what), name: str(o, "name", what), rxPackets: n("rxPackets"), rxBytes: n("rxBytes"),
        txPackets: n("txPackets"), txBytes: n("txBytes"), rxDropped: n("rxDropped"), txDropped: n("txDropped"), rxErrors: n("rxErrors"),
      };
    });
  }

  async startCapture(target: string, path: string): Promise<number> {
    return num(obj(await this.call({ op: "capture.start", target, path }), "capture.start reply"), "captureId", "capture.start reply");
  }

  async stopCapture(captureId: number): Promise<NetCaptureResult> {
    const o = obj(await this.call({ op: "capture.stop", captureId }), "capture.stop reply");
    return { captureId, packets: num(o, "packets", "capture.stop reply"), dropped: num(o, "dropped", "capture.stop reply") };
  }

  close(): void {
    this.conn.close();
  }
}

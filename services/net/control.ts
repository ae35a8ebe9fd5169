// The network service's control socket: bridges and their ports for `domus brctl show` and
// `domus net`, and pcap captures. Requests are checked here, where they enter the process.

import type { NetBridge, NetCaptureResult, NetPort } from "../../kernel/public/net-protocol.js";
import type { Obj } from "../../tools/lib/check.js";
import { startCapture, type Capture } from "./pcap.js";
import type { Bridges } from "./bridges.js";

function text(m: Obj, key: string, max = 4096): string {
  const v = m[key];
  if (typeof v !== "string" || v.length === 0 || v.length > max || v.includes("\0")) throw new Error(`${key} must be a non-empty string of at most ${max} characters`);
  return v;
}

export class NetControl {
  private readonly captures = new Map<number, Capture>();
  private nextCapture = 1;

  constructor(private readonly bridges: Bridges) {}

  async handle(m: Obj): Promise<unknown> {
    switch (m.op) {
      case "bridges": return (await this.bridges.all()).map((b): NetBridge => b.show()).sort((a, b) => a.name.localeCompare(b.name));
      case "ports": return this.ports();
      case "learned": {
        const name = text(m, "bridge", 64);
        const bridge = (await this.bridges.all()).find((b) => b.name === name);
        if (bridge === undefined) throw new Error(`there is no bridge ${name}`);
        return bridge.learned();
      }
      case "capture.start": return this.startCapture(text(m, "target", 64), text(m, "path"));
      case "capture.stop": {
        const id = m.captureId;
        const c = typeof id === "number" ? this.captures.get(id) : undefined;
        if (c === undefined || typeof id !== "number") throw new Error("no such capture");
        await c.stop();
        this.captures.delete(id);
        return { captureId: id, packets: c.packets, dropped: c.dropped } satisfies NetCaptureResult;
      }
      default:
        throw new Error(`unknown operation ${JSON.stringify(m.op)}`);
    }
  }

  private async ports(): Promise<NetPort[]> {
    const out: NetPort[] = [];
    for (const b of await this.bridges.all()) {
      for (const name of b.show().interfaces) {
        const port = b.port(name);
        if (port !== undefined) out.push({ bridge: b.name, name, ...port.counters });
      }
    }
    return out;
  }

  /** `target` is a bridge (every frame entering it) or a port (both of its directions). */
  private async startCapture(target: string, path: string): Promise<NetCaptureResult> {
    const all = await this.bridges.all();
    const bridge = all.find((b) => b.name === target) ?? all.find((b) => b.port(target) !== undefined);
    if (bridge === undefined) throw new Error(`there is no bridge or port ${target}`);
    const capture = await startCapture(bridge, path, bridge.name === target ? {} : { port: target });
    const id = this.nextCapture++;
    this.captures.set(id, capture);
    return { captureId: id, packets: 0, dropped: 0 };
  }

  async close(): Promise<void> {
    for (const c of this.captures.values()) await c.stop();
  }
}

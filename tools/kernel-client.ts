// A typed client for the kernel process (kernel/public/protocol.ts): connect and say hello,
// one method per request op, the event stream after subscribe. Every reply and event is checked
// against the protocol before anyone uses it, and every failure says which socket and what to do.

import { join } from "node:path";
import {
  KERNEL_SOCKET, PROTOCOL_VERSION,
  type DomainInfo, type DomainSpec, type DomainState, type EventFrame, type EventKind, type HostInfo,
  type Request, type ShutdownReason,
} from "../kernel/public/protocol.js";
import { FrameConnection, ProtocolViolation } from "./lib/frame-connection.js";
import { bytes, int, intList, num, obj, oneOf, str, type Obj } from "./lib/check.js";

const DOMAIN_STATES: readonly DomainState[] = ["running", "blocked", "paused", "shutdown", "crashed", "dying"];
const SHUTDOWN_REASONS: readonly ShutdownReason[] = ["poweroff", "reboot", "suspend", "crash", "watchdog"];

export interface KernelClientOptions {
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

export function kernelSocketPath(home: string): string {
  return join(home, KERNEL_SOCKET);
}

export class KernelClient {
  private eventListeners: ((e: EventFrame) => void)[] = [];

  private constructor(private readonly conn: FrameConnection, private readonly timeoutMs: number) {
    conn.onEvent((raw) => {
      let event: EventFrame;
      try {
        event = parseEvent(raw);
      } catch (e) {
        process.emitWarning(`ignored a malformed kernel event: ${(e as Error).message}`);
        return;
      }
      for (const l of this.eventListeners) l(event);
    });
  }

  /** Connect to DOMUS_HOME/run/kernel.sock and check the protocol version. */
  static async connect(home: string, opts: KernelClientOptions = {}): Promise<KernelClient> {
    const path = kernelSocketPath(home);
    const conn = await FrameConnection.connect(path, {
      what: "the Domus kernel",
      remedy: `start the host with \`domus up --home ${home}\` (or check \`domus status --home ${home}\`)`,
      timeoutMs: opts.connectTimeoutMs,
    });
    const timeoutMs = opts.requestTimeoutMs ?? 10_000;
    try {
      const hello = obj(await conn.request({ op: "hello", version: PROTOCOL_VERSION }, timeoutMs), "hello reply");
      if (hello.version !== undefined && hello.version !== PROTOCOL_VERSION) {
        throw new ProtocolViolation(`the kernel at ${path} speaks protocol ${String(hello.version)}, this toolstack ${PROTOCOL_VERSION}: rebuild with \`npm run build\``);
      }
    } catch (e) {
      conn.close();
      throw e;
    }
    return new KernelClient(conn, timeoutMs);
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  onClose(handler: (why: Error) => void): void {
    this.conn.onClose(handler);
  }

  close(): void {
    this.conn.close();
  }

  private call(req: Request, timeoutMs = this.timeoutMs): Promise<unknown> {
    return this.conn.request({ ...req }, timeoutMs);
  }

  async info(): Promise<HostInfo> {
    const o = obj(await this.call({ op: "info" }), "info reply");
    return {
      version: int(o, "version", "info"),
      pcpus: int(o, "pcpus", "info", 1),
      totalMemoryMiB: num(o, "totalMemoryMiB", "info"),
      freeMemoryMiB: num(o, "freeMemoryMiB", "info"),
    };
  }

  /** Create a domain; a paused one runs once unpaused (after its devices are plugged in). */
  async createDomain(spec: DomainSpec, paused = false): Promise<number> {
    // Building a domain loads its images: allow more time than a plain request.
    const o = obj(await this.call({ op: "domain.create", spec, paused }, Math.max(this.timeoutMs, 30_000)), "domain.create reply");
    return int(o, "domid", "domain.create reply", 1);
  }

  async listDomains(): Promise<DomainInfo[]> {
    const list = await this.call({ op: "domain.list" });
    if (!Array.isArray(list)) throw new ProtocolViolation("domain.list reply must be a list");
    return list.map((d, i) => parseDomainInfo(obj(d, `domain.list[${i}]`), `domain.list[${i}]`));
  }

  async destroy(domid: number): Promise<void> {
    await this.call({ op: "domain.destroy", domid });
  }

  async rename(domid: number, name: string): Promise<void> {
    await this.call({ op: "domain.rename", domid, name });
  }

  async pause(domid: number): Promise<void> {
    await this.call({ op: "domain.pause", domid });
  }

  async unpause(domid: number): Promise<void> {
    await this.call({ op: "domain.unpause", domid });
  }

  async shutdown(domid: number, reason: "poweroff" | "reboot"): Promise<void> {
    await this.call({ op: "domain.shutdown", domid, reason });
  }

  async sched(domid: number, params: { weight?: number; cap?: number }): Promise<void> {
    const req: Request = { op: "domain.sched", domid, ...params };
    await this.call(req);
  }

  /** The most memory a running PV domain may balloon up to, within what it was built with. */
  async setMaxMem(domid: number, maxmemMiB: number): Promise<void> {
    await this.call({ op: "domain.maxmem", domid, maxmemMiB });
  }

  /** Which pCPUs the domain's vCPUs may run on from now on (empty: any). */
  async setAffinity(domid: number, cpus: readonly number[]): Promise<void> {
    await this.call({ op: "domain.affinity", domid, cpus });
  }

  async consoleWrite(domid: number, data: Uint8Array): Promise<void> {
    await this.call({ op: "console.write", domid, data });
  }

  /**
   * Show the domain's console through `output`: first what no console has shown yet, then each
   * console event for it, in the order the kernel sent them (the connection must be subscribed to
   * its console events). From now on what this connection is sent counts as shown.
   */
  async consoleAttach(domid: number, output: (data: Uint8Array) => void): Promise<void> {
    // The listener goes in as the reply is read: an event read with it, just after it, is new.
    await this.conn.request({ op: "console.read", domid }, this.timeoutMs, (r) => {
      output(r instanceof Uint8Array ? r : bytes(obj(r, "console.read reply"), "data", "console.read reply"));
      this.eventListeners.push((e) => {
        if (e.event === "console" && e.domid === domid) output(e.data);
      });
    });
  }

  /** The last 64 KiB the domain's console printed, leaving what counts as shown alone. */
  async consoleTail(domid: number): Promise<Uint8Array> {
    const r = await this.call({ op: "console.tail", domid });
    if (r instanceof Uint8Array) return r;
    throw new ProtocolViolation("console.tail reply must be bytes");
  }

  /** Events from now on, to the listeners given to onEvent; `consoles`: console events of these domains only. */
  async subscribe(events: readonly EventKind[], consoles?: readonly number[]): Promise<void> {
    await this.call({ op: "subscribe", events, ...(consoles === undefined ? {} : { consoles }) });
  }

  /** Call `listener` with every event from now on; returns what stops it. */
  onEvent(listener: (e: EventFrame) => void): () => void {
    this.eventListeners.push(listener);
    return () => {
      this.eventListeners = this.eventListeners.filter((l) => l !== listener);
    };
  }
}

export function parseDomainInfo(o: Obj, what: string): DomainInfo {
  const state = oneOf(o, "state", what, DOMAIN_STATES);
  const info: DomainInfo = {
    domid: int(o, "domid", what, 0),
    name: str(o, "name", what),
    memoryMiB: num(o, "memoryMiB", what),
    maxmemMiB: num(o, "maxmemMiB", what),
    vcpus: int(o, "vcpus", what, 0),
    online: intList(o, "online", what, 0),
    state,
    cpuTimeNs: num(o, "cpuTimeNs", what),
    weight: int(o, "weight", what, 0),
    cap: int(o, "cap", what, 0),
    cpus: intList(o, "cpus", what, 0),
    lastCpus: intList(o, "lastCpus", what, 0),
  };
  return o.shutdownReason === undefined || o.shutdownReason === null
    ? info
    : { ...info, shutdownReason: oneOf(o, "shutdownReason", what, SHUTDOWN_REASONS) };
}

export function parseEvent(raw: Obj): EventFrame {
  const what = "event";
  const domid = int(raw, "domid", what, 0);
  if (raw.event === "console") return { event: "console", domid, data: bytes(raw, "data", what) };
  if (raw.event === "domain") {
    const state = oneOf(raw, "state", what, DOMAIN_STATES);
    return raw.reason === undefined || raw.reason === null
      ? { event: "domain", domid, state }
      : { event: "domain", domid, state, reason: oneOf(raw, "reason", what, SHUTDOWN_REASONS) };
  }
  throw new ProtocolViolation(`unknown event kind ${JSON.stringify(raw.event)}`);
}

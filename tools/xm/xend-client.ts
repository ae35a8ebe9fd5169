// xm's connection to xend (kernel/public/xend-protocol.ts): hello, then one typed call per
// operation; what comes back is checked before xm prints it.

import { XEND_PROTOCOL_VERSION, type XendDomain, type XendHostInfo, type XendRequest, type XendVcpu, type XendVbd, type XendVif, type XendChangeResult, type XendShutdownResult } from "../../kernel/public/xend-protocol.js";
import type { DomainState } from "../../kernel/public/protocol.js";
import { existsSync } from "node:fs";
import { FrameConnection, NotRunningError, ProtocolViolation } from "../lib/frame-connection.js";
import { homePaths } from "../lib/home.js";
import { intList, isObj, num, obj, str, type Obj } from "../lib/check.js";

/** How long xm waits for a xend that the supervisor is restarting (its backoff tops out at 5 s). */
const RESTART_WAIT_MS = 6000;

const STATES: readonly DomainState[] = ["running", "blocked", "paused", "shutdown", "crashed", "dying"];

function nullableNumber(o: Obj, key: string, what: string): number | null {
  return o[key] === null || o[key] === undefined ? null : num(o, key, what);
}

export function parseXendDomain(v: unknown, what: string): XendDomain {
  const o = obj(v, what);
  const state = o.state === null || o.state === undefined ? null : o.state;
  if (state !== null && !(STATES as readonly unknown[]).includes(state)) throw new ProtocolViolation(`${what}.state is not a domain state`);
  return {
    name: str(o, "name", what),
    domid: nullableNumber(o, "domid", what),
    memoryMiB: num(o, "memoryMiB", what),
    maxmemMiB: num(o, "maxmemMiB", what),
    vcpus: num(o, "vcpus", what),
    online: intList(o, "online", what, 0),
    state: state as DomainState | null,
    cpuTimeS: num(o, "cpuTimeS", what),
    weight: num(o, "weight", what),
    cap: num(o, "cap", what),
    startTime: nullableNumber(o, "startTime", what),
    managed: o.managed === true,
    cpus: intList(o, "cpus", what, 0),
  };
}

function parseVcpu(v: unknown, what: string): XendVcpu {
  const o = obj(v, what);
  const state = o.state;
  if (state !== "running" && state !== "blocked" && state !== "paused" && state !== "offline") throw new ProtocolViolation(`${what}.state is not a vCPU state`);
  return {
    name: str(o, "name", what), domid: num(o, "domid", what), vcpu: num(o, "vcpu", what),
    cpu: nullableNumber(o, "cpu", what), state, cpuTimeS: num(o, "cpuTimeS", what), affinity: intList(o, "affinity", what, 0),
  };
}

function parseVbd(v: unknown, what: string): XendVbd {
  const o = obj(v, what);
  return {
    vdev: num(o, "vdev", what), dev: str(o, "dev", what), backendId: num(o, "backendId", what), state: num(o, "state", what),
    eventChannel: num(o, "eventChannel", what), ringRef: num(o, "ringRef", what), backendPath: str(o, "backendPath", what),
    uname: str(o, "uname", what), mode: str(o, "mode", what), format: str(o, "format", what), sectors: num(o, "sectors", what),
  };
}

function parseVif(v: unknown, what: string): XendVif {
  const o = obj(v, what);
  return {
    idx: num(o, "idx", what), backendId: num(o, "backendId", what), mac: str(o, "mac", what), handle: num(o, "handle", what),
    state: num(o, "state", what), eventChannel: num(o, "eventChannel", what), txRingRef: num(o, "txRingRef", what),
    rxRingRef: num(o, "rxRingRef", what), backendPath: str(o, "backendPath", what), bridge: str(o, "bridge", what),
  };
}

function list<T>(v: unknown, what: string, each: (x: unknown, what: string) => T): T[] {
  if (!Array.isArray(v)) throw new ProtocolViolation(`${what} must be a list`);
  return v.map((x, i) => each(x, `${what}[${i}]`));
}

export class XendClient {
  private constructor(private readonly conn: FrameConnection) {}

  static async connect(home: string): Promise<XendClient> {
    const paths = homePaths(home);
    const opts = {
      what: "xend",
      remedy: `start the host with \`domus up\` (DOMUS_HOME=${home}); \`domus status\` shows what runs`,
    };
    // While the host is up, a missing xend is one the supervisor is restarting: wait for it briefly.
    const deadline = Date.now() + (existsSync(paths.supervisorPid) ? RESTART_WAIT_MS : 0);
    let conn: FrameConnection;
    for (;;) {
      try {
        conn = await FrameConnection.connect(paths.xendSocket, opts);
        break;
      } catch (e) {
        if (!(e instanceof NotRunningError) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const client = new XendClient(conn);
    await client.call({ op: "hello", version: XEND_PROTOCOL_VERSION });
    return client;
  }

  close(): void {
    this.conn.close();
  }

  /** Creating and starting domains loads their images: they get longer than other requests. */
  private call(req: XendRequest, timeoutMs = 30_000): Promise<unknown> {
    return this.conn.request({ ...req }, timeoutMs);
  }

  async list(domains?: readonly string[]): Promise<XendDomain[]> {
    return list(await this.call({ op: "domain.list", domains }), "domain.list reply", parseXendDomain);
  }

  async sxp(domain: string): Promise<string> {
    const r = await this.call({ op: "domain.sxp", domain });
    if (typeof r !== "string") throw new ProtocolViolation("domain.sxp reply must be text");
    return r;
  }

  async create(config: string, source: string, paused: boolean): Promise<XendDomain> {
    return parseXendDomain(await this.call({ op: "domain.create", config, source, paused }, 60_000), "domain.create reply");
  }

  async newManaged(config: string, source: string): Promise<XendDomain> {
    return parseXendDomain(await this.call({ op: "domain.new", config, source }), "domain.new reply");
  }

  async start(domain: string, paused: boolean): Promise<XendDomain> {
    return parseXendDomain(await this.call({ op: "domain.start", domain, paused }, 60_000), "domain.start reply");
  }

  async simple(req: XendRequest): Promise<void> {
    await this.call(req);
  }

  async shutdown(domain: string, reason: "poweroff" | "reboot"): Promise<XendShutdownResult> {
    const r = await this.call({ op: "domain.shutdown", domain, reason });
    // An older xend answers nothing: it always stopped the domain through the kernel.
    if (!isObj(r)) return { via: "kernel" };
    const via = r.via === "guest" ? "guest" : "kernel";
    return typeof r.warning === "string" ? { via, warning: r.warning } : { via };
  }

  async change(req: XendRequest): Promise<XendChangeResult> {
    const r = await this.call(req);
    if (!isObj(r)) return {};
    return typeof r.deferred === "string" ? { deferred: r.deferred } : {};
  }

  async vcpuList(domains?: readonly string[]): Promise<XendVcpu[]> {
    return list(await this.call({ op: "domain.vcpu-list", domains }), "domain.vcpu-list reply", parseVcpu);
  }

  async blockList(domain: string): Promise<XendVbd[]> {
    return list(await this.call({ op: "domain.block-list", domain }), "domain.block-list reply", parseVbd);
  }

  async networkList(domain: string): Promise<XendVif[]> {
    return list(await this.call({ op: "domain.network-list", domain }), "domain.network-list reply", parseVif);
  }

  async hostInfo(): Promise<XendHostInfo> {
    return list(await this.call({ op: "host.info" }), "host.info reply", (x, what) => {
      if (!Array.isArray(x) || x.length !== 2 || typeof x[0] !== "string" || typeof x[1] !== "string") throw new ProtocolViolation(`${what} must be [key, value]`);
      return [x[0], x[1]] as const;
    });
  }

  async dmesg(clear: boolean): Promise<string> {
    const r = await this.call({ op: "host.dmesg", clear });
    if (typeof r !== "string") throw new ProtocolViolation("host.dmesg reply must be text");
    return r;
  }
}

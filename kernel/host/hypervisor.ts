// The domains of one host and the loop that runs them: the credit scheduler picks a domain, the
// domain's machine runs one slice, the slice is charged, and what the guest asked for (sleep,
// power-off, reboot) changes its state. Nothing runnable: the loop sleeps until a timer or event.

import { performance } from "node:perf_hooks";
import { totalmem } from "node:os";
import { randomUUID } from "node:crypto";
import { Machine, MachineError } from "./machine.js";
import { Domain } from "./domain.js";
import { CreditScheduler } from "./credit-scheduler.js";
import { XenstoreRing } from "./pv/xenstore-ring.js";
import { VirtioBlk } from "../../services/blk/virtio-blk.js";
import { openRawImage } from "../../services/blk/raw-image.js";
import {
  PROTOCOL_VERSION, type DomainSpec, type DomainState, type HostInfo, type ShutdownReason,
} from "../public/protocol.js";

const SLICE_INSTRUCTIONS = 200_000;
const FIRST_DOMID = 1;
const MAX_DOMID = 0x7fef;
const MiB = 1024 * 1024;

export class HypervisorError extends Error {
  override name = "HypervisorError";
}

export interface HypervisorEvents {
  console(domid: number, data: Uint8Array): void;
  domain(domid: number, state: DomainState, reason?: ShutdownReason): void;
}

export interface HypervisorOptions {
  /** The store's socket for guests' rings (DOMUS_HOME/run/xenstored/domains.sock); none: PV guests get no xenstore. */
  readonly storeSocket?: string;
}

export class Hypervisor {
  private readonly domains = new Map<number, Domain>();
  private readonly sched = new CreditScheduler(() => this.domains.values());
  private nextDomid = FIRST_DOMID;
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly events: HypervisorEvents,
    private readonly log: (msg: string) => void,
    private readonly options: HypervisorOptions = {},
  ) {}

  info(): HostInfo {
    const total = Math.floor(totalmem() / MiB);
    const used = [...this.domains.values()].reduce((n, d) => n + d.spec.memoryMiB, 0);
    return { version: PROTOCOL_VERSION, pcpus: 1, totalMemoryMiB: total, freeMemoryMiB: Math.max(0, total - used) };
  }

  list(): Domain[] {
    return [...this.domains.values()].sort((a, b) => a.domid - b.domid);
  }

  get(domid: number): Domain {
    const d = this.domains.get(domid);
    if (d === undefined) throw new HypervisorError(`domain ${domid} does not exist`);
    return d;
  }

  private allocDomid(): number {
    for (let i = 0; i < MAX_DOMID; i++) {
      const id = this.nextDomid;
      this.nextDomid = id >= MAX_DOMID ? FIRST_DOMID : id + 1;
      if (!this.domains.has(id)) return id;
    }
    throw new HypervisorError("no free domain id");
  }

  create(spec: DomainSpec): Domain {
    if ([...this.domains.values()].some((d) => d.spec.name === spec.name)) {
      throw new HypervisorError(`a domain named "${spec.name}" already exists`);
    }
    const domid = this.allocDomid();
    let machine: Machine;
    const opened: { close(): void }[] = [];
    try {
      const virtio = spec.disks.map((disk, i) => {
        const image = openRawImage(disk.path, disk.readOnly);
        opened.push(image);
        return new VirtioBlk(image, `domus-${spec.name}-${i}`);
      });
      machine = new Machine({
        builder: spec.builder,
        domid,
        peers: (id) => this.domains.get(id)?.machine.pv,
        bios: spec.bios,
        kernel: spec.kernel,
        initrd: spec.ramdisk,
        append: spec.extra,
        memMiB: spec.memoryMiB,
        harts: spec.vcpus,
        virtio,
      });
    } catch (e) {
      for (const o of opened) o.close();
      throw new HypervisorError(`domain "${spec.name}": ${(e as Error).message}`);
    }
    const pv = machine.pv;
    if (pv !== undefined && this.options.storeSocket !== undefined) {
      // Connected lazily, when the guest first notifies its store port.
      const identity = { name: spec.name, uuid: spec.uuid ?? randomUUID(), memoryKiB: spec.memoryMiB * 1024 };
      pv.storeRing = new XenstoreRing(pv, identity, this.options.storeSocket, (msg) => this.log(`domain ${domid}: ${msg}`));
    }
    const d = new Domain(domid, spec, machine);
    machine.onConsole = (bytes) => {
      d.recordConsole(bytes);
      this.events.console(domid, bytes);
    };
    machine.onLog = (msg) => this.log(`domain ${domid}: ${msg}`);
    machine.onWake = () => {
      d.sleepUntil = 0;
      this.kick();
    };
    this.domains.set(domid, d);
    this.log(`domain ${domid} (${spec.name}) created: ${spec.memoryMiB} MiB, ${spec.vcpus} vCPU`);
    this.events.domain(domid, "running");
    this.kick();
    return d;
  }

  destroy(domid: number): void {
    const d = this.get(domid);
    this.domains.delete(domid);
    d.state = "dying";
    d.machine.close();
    this.log(`domain ${domid} (${d.spec.name}) destroyed`);
    this.events.domain(domid, "dying");
  }

  pause(domid: number, paused: boolean): void {
    const d = this.get(domid);
    if (d.state !== "running" && d.state !== "blocked") throw new HypervisorError(`domain ${domid} is ${d.state}`);
    d.paused = paused;
    this.events.domain(domid, paused ? "paused" : d.state);
    this.kick();
  }

  /** Ask for a shutdown. An HVM guest has no shutdown channel: its power is cut and the reason recorded. */
  shutdown(domid: number, reason: "poweroff" | "reboot"): void {
    const d = this.get(domid);
    if (d.state !== "running" && d.state !== "blocked") throw new HypervisorError(`domain ${domid} is ${d.state}`);
    this.markStopped(d, reason);
  }

  setSched(domid: number, weight?: number, cap?: number): Domain {
    const d = this.get(domid);
    if (weight !== undefined) d.weight = weight;
    if (cap !== undefined) d.cap = cap;
    return d;
  }

  consoleWrite(domid: number, data: Uint8Array): void {
    this.get(domid).input(data);
    this.kick();
  }

  private markStopped(d: Domain, reason: ShutdownReason): void {
    d.state = reason === "crash" ? "crashed" : "shutdown";
    d.shutdownReason = reason;
    this.log(`domain ${d.domid} (${d.spec.name}) ${d.state}: ${reason}`);
    this.events.domain(d.domid, d.state, reason);
  }

  /** Something may have become runnable: end the loop's sleep. */
  kick(): void {
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.kick();
    for (const d of this.domains.values()) d.machine.close();
    this.domains.clear();
  }

  async loop(): Promise<void> {
    while (!this.stopped) {
      const now = performance.now();
      this.sched.account(now);
      const d = this.sched.pick(now);
      if (d === undefined) {
        await this.sleep(this.sched.nextWake(now) - now);
        continue;
      }
      d.state = "running";
      let r;
      try {
        r = d.machine.step(SLICE_INSTRUCTIONS);
      } catch (e) {
        if (!(e instanceof MachineError)) throw e;
        this.log(`domain ${d.domid}: ${e.message}`);
        this.markStopped(d, "crash");
        continue;
      }
      const after = performance.now();
      this.sched.charge(d, after - now, after);
      d.feedInput();
      if (r.kind === "idle") {
        d.state = "blocked";
        d.sleepUntil = after + r.ms;
        d.boosted = true;
      } else if (r.kind === "shutdown") {
        this.markStopped(d, r.reason);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, Math.max(0, Math.min(ms, 1000)));
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }
}

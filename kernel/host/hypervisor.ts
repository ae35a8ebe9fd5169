// The domains of one host and the loop that runs them: whenever a pCPU is free, the credit
// scheduler picks a domain for it and the domain's machine runs one slice on that pCPU's worker;
// when the slice ends it is charged, and what the guest asked for (sleep, power-off, reboot)
// changes the domain's state. Nothing runnable: the loop sleeps until a timer, an event or a
// slice's end.

import { performance } from "node:perf_hooks";
import { availableParallelism, totalmem } from "node:os";
import { randomUUID } from "node:crypto";
import { Machine, MachineError, type StepResult } from "./machine.js";
import { Domain } from "./domain.js";
import { PCpus, type PCpu } from "./pcpu/pcpus.js";
import type { SliceResult } from "./pcpu/slice.js";
import { CreditScheduler, wakeTime } from "./credit-scheduler.js";
import { XenstoreRing } from "./pv/xenstore-ring.js";
import { PAGE, PV_SPECIAL_PAGES } from "./pv/pv-layout.js";
import { ChainDevice } from "./virtio-backend.js";
import { BackendLinks, RemoteDevice, type BackendPeer } from "./backend-link.js";
import { BackendRing, RingError } from "./pv/backend-ring.js";
import { copyFromGrants, copyToGrants, grantedAddress, GrantError, type GrantSegment } from "./pv/grant-table.js";
import { GuestMemoryError } from "./guest-memory.js";
import { BACKEND_DOMID } from "../public/xen/xenbus.js";
import { encodeFrame } from "../public/frames.js";
import { writeBatched } from "./socket-batch.js";
import {
  PROTOCOL_VERSION, type VirtioDoneFrame, type RingRespondFrame, type EvtchnEventFrame, type FramebufferBand, type DomainSpec, type DomainState, type HostInfo, type ShutdownReason, type VirtioConfigPage,
} from "../public/protocol.js";

/** Instructions per call of the kernel's `run` on a pCPU worker (a slice is many calls). */
const SLICE_INSTRUCTIONS = 200_000;
/** A run on the kernel process's own thread (runAtHome): about 150 us of guest code at most. */
const HOME_BURST_INSTRUCTIONS = 50_000;
/** How long one pass of the loop spends on such runs before it serves requests again. */
const HOME_PASS_MS = 2;
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
  /** The host's memory, in MiB (default: its RAM). */
  readonly totalMemoryMiB?: number;
  /** Of that, what Domain-0 keeps (xend-config.sxp's dom0-min-mem), never given to a guest. */
  readonly reservedMiB?: number;
  /** pCPUs: worker threads that run the domains' slices (default: one per host CPU). */
  readonly pcpus?: number;
}

type DeviceAttach = {
  readonly domid: number; readonly devid: number; readonly deviceId: number; readonly features: number;
  readonly config: Uint8Array; readonly slot?: number; readonly configPages?: readonly VirtioConfigPage[];
};

function pushEvtchnEvent(peer: BackendPeer, domid: number, devid: number): void {
  const event: EvtchnEventFrame = { event: "evtchn.event", domid, devid };
  writeBatched(peer.socket, encodeFrame(event));
}

/** Names a backend-served ring across backend restarts. */
function ringKey(peer: BackendPeer, domid: number, devid: number, index: number): string {
  return `${BackendLinks.keyOf(peer.instance, domid, devid)}/${index}`;
}

export class Hypervisor {
  private readonly domains = new Map<number, Domain>();
  private readonly pcpus: PCpus;
  private readonly sched: CreditScheduler;
  private readonly links = new BackendLinks((msg) => this.log(msg));
  private nextDomid = FIRST_DOMID;
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly events: HypervisorEvents,
    private readonly log: (msg: string) => void,
    private readonly options: HypervisorOptions = {},
  ) {
    this.pcpus = new PCpus(options.pcpus ?? availableParallelism());
    this.sched = new CreditScheduler(this.pcpus.count);
  }

  info(): HostInfo {
    return { version: PROTOCOL_VERSION, pcpus: this.pcpus.count, totalMemoryMiB: this.totalMiB, freeMemoryMiB: Math.floor((this.freePages() * PAGE) / MiB) };
  }

  private get totalMiB(): number {
    return this.options.totalMemoryMiB ?? Math.floor(totalmem() / MiB);
  }

  /**
   * The pages no domain holds (nor Domain-0). Domains are built and balloons filled only from these, as Xen
   * allocates from its free frames: a domain or a page the host does not have is refused, not
   * overcommitted.
   */
  private freePages(): number {
    let held = 0;
    for (const d of this.domains.values()) held += d.heldPages;
    return Math.max(0, ((this.totalMiB - this.reservedMiB) * MiB) / PAGE - held);
  }

  private get reservedMiB(): number {
    return Math.min(this.options.reservedMiB ?? 0, this.totalMiB);
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

  create(spec: DomainSpec, paused = false): Domain {
    if ([...this.domains.values()].some((d) => d.spec.name === spec.name)) {
      throw new HypervisorError(`a domain named "${spec.name}" already exists`);
    }
    const free = Math.floor((this.freePages() * PAGE) / MiB);
    if (spec.memoryMiB > free) {
      const dom0 = this.reservedMiB > 0 ? ` beyond Domain-0's ${this.reservedMiB} MiB (dom0-min-mem in xend-config.sxp)` : "";
      throw new HypervisorError(`domain "${spec.name}" needs ${spec.memoryMiB} MiB but the host has ${free} MiB free${dom0}; give it less memory or make room (xm mem-set, xm destroy)`);
    }
    const affinity = this.checkAffinity(spec.name, spec.cpus);
    const domid = this.allocDomid();
    let machine: Machine;
    try {
      machine = new Machine({
        builder: spec.builder,
        domid,
        peers: (id) => this.domains.get(id)?.machine.pv,
        hostFreePages: () => this.freePages(),
        bios: spec.bios,
        kernel: spec.kernel,
        initrd: spec.ramdisk,
        append: spec.extra,
        memMiB: spec.memoryMiB,
        maxMemMiB: spec.maxmemMiB,
        harts: spec.vcpus,
        framebuffer: spec.framebuffer,
      });
    } catch (e) {
      throw new HypervisorError(`domain "${spec.name}": ${(e as Error).message}`);
    }
    const pv = machine.pv;
    if (pv !== undefined && this.options.storeSocket !== undefined) {
      // Connected lazily, when the guest first notifies its store port.
      const identity = { name: spec.name, uuid: spec.uuid ?? randomUUID(), memoryKiB: spec.memoryMiB * 1024, vcpus: spec.vcpus };
      pv.storeRing = new XenstoreRing(pv, identity, this.options.storeSocket, (msg) => this.log(`domain ${domid}: ${msg}`));
    }
    const d = new Domain(domid, spec, machine);
    d.paused = paused;
    d.affinity = affinity;
    machine.onConsole = (bytes) => {
      d.recordConsole(bytes);
      this.events.console(domid, bytes);
    };
    machine.onLog = (msg) => this.log(`domain ${domid}: ${msg}`);
    machine.onWake = () => {
      d.wakeUp();
      this.nudge(d);
      this.kick();
    };
    machine.onAwayWork = () => this.nudge(d);
    this.domains.set(domid, d);
    this.sched.add(d);
    this.log(`domain ${domid} (${spec.name}) created: ${spec.memoryMiB} MiB, ${spec.vcpus} vCPU`);
    this.events.domain(domid, paused ? "paused" : "running");
    this.kick();
    return d;
  }

  /**
   * A backend plugs a virtio device into a domain. The same device attached again (its backend
   * restarted) keeps its slot, and the requests it had not answered go to the new connection.
   */
  attachDevice(peer: BackendPeer, a: DeviceAttach): Promise<number> {
    return this.get(a.domid).machine.whenHome(() => this.plugDevice(peer, a));
  }

  private plugDevice(peer: BackendPeer, a: DeviceAttach): number {
    const d = this.get(a.domid);
    const key = BackendLinks.keyOf(peer.instance, a.domid, a.devid);
    let plugged = d.devices.get(key);
    if (plugged === undefined) {
      const dev = new RemoteDevice(this.links, key, a.domid, a.devid, a.deviceId, BigInt(a.features), a.config, a.configPages);
      let slot: number;
      try {
        slot = d.machine.attachVirtio(new ChainDevice(dev, (msg) => this.log(`domain ${a.domid}: ${msg}`)), a.slot);
      } catch (e) {
        throw new HypervisorError(`domain ${a.domid}: ${(e as Error).message}`);
      }
      plugged = { slot, device: dev };
      d.devices.set(key, plugged);
      this.log(`domain ${a.domid}: ${peer.instance} device ${a.devid} in virtio slot ${slot}`);
    }
    this.links.bind(plugged.device, peer);
    return plugged.slot;
  }

  detachDevice(peer: BackendPeer, domid: number, devid: number): Promise<void> {
    return this.get(domid).machine.whenHome(() => this.unplugDevice(peer, domid, devid));
  }

  private unplugDevice(peer: BackendPeer, domid: number, devid: number): void {
    const d = this.get(domid);
    const key = BackendLinks.keyOf(peer.instance, domid, devid);
    const plugged = d.devices.get(key);
    if (plugged === undefined) throw new HypervisorError(`domain ${domid} has no ${peer.instance} device ${devid}`);
    d.devices.delete(key);
    d.machine.detachVirtio(plugged.slot);
    this.log(`domain ${domid}: ${peer.instance} device ${devid} unplugged from virtio slot ${plugged.slot}`);
  }

  /** A backend's connection closed: its devices, rings and channels wait for its next instance. */
  backendGone(peer: BackendPeer): void {
    for (const d of this.domains.values()) {
      this.links.unbind(peer, [...d.devices.values()].map((p) => p.device));
      for (const ring of d.rings.values()) if (ring.peer === peer) ring.peer = undefined;
      for (const channel of d.channels.values()) if (channel.peer === peer) channel.peer = undefined;
    }
  }

  /** A backend serves a PV frontend's ring; bound again (a restarted backend), it gets what is unanswered. */
  bindRing(peer: BackendPeer, b: { domid: number; devid: number; ring: number; ref: number; port: number; slotSize: number; rspSize: number }): null {
    const d = this.get(b.domid);
    const pv = d.machine.pv;
    if (pv === undefined) throw new HypervisorError(`domain ${b.domid} is not paravirtual: it has no rings`);
    const key = ringKey(peer, b.domid, b.devid, b.ring);
    const existing = d.rings.get(key);
    if (existing !== undefined && existing.port === b.port) {
      existing.bind(peer);
      return null;
    }
    const p = pv.evtchn.get(b.port);
    const unbound = p?.kind === "unbound" && p.remoteDom === BACKEND_DOMID;
    if (!unbound && p?.kind !== "backend") {
      throw new HypervisorError(`domain ${b.domid}: port ${b.port} is not an unbound event channel for domain ${BACKEND_DOMID}`);
    }
    const gpa = grantedAddress(pv, b.ref, BACKEND_DOMID, true);
    if (gpa < 0) throw new HypervisorError(`domain ${b.domid}: grant ${b.ref} is not a writable grant to domain ${BACKEND_DOMID} (GNTST ${gpa})`);
    const ring = new BackendRing(pv, b.devid, b.ring, gpa, b.port, b.slotSize, b.rspSize, (msg) => this.log(`domain ${b.domid}: ${msg}`));
    // One port may serve several rings of the domain (netif's tx and rx): a notify serves them all.
    pv.evtchn.set(b.port, { kind: "backend", notify: () => { for (const r of d.rings.values()) if (r.port === b.port) r.notify(); } });
    d.rings.set(key, ring);
    ring.bind(peer);
    this.log(`domain ${b.domid}: ${peer.instance} ring ${b.ring} of device ${b.devid} bound (grant ${b.ref}, port ${b.port})`);
    return null;
  }

  unbindRing(peer: BackendPeer, domid: number, devid: number, index: number): null {
    const d = this.get(domid);
    const ring = this.ring(peer, domid, devid, index);
    d.rings.delete(ringKey(peer, domid, devid, index));
    if (![...d.rings.values()].some((r) => r.port === ring.port)) {
      d.machine.pv?.evtchn.set(ring.port, { kind: "unbound", remoteDom: BACKEND_DOMID });
    }
    return null;
  }

  private ring(peer: BackendPeer, domid: number, devid: number, index: number): BackendRing {
    const ring = this.get(domid).rings.get(ringKey(peer, domid, devid, index));
    if (ring === undefined) throw new HypervisorError(`domain ${domid} has no ${peer.instance} ring ${index} for device ${devid}`);
    return ring;
  }

  ringRespond(peer: BackendPeer, r: RingRespondFrame): void {
    const ring = this.ring(peer, r.domid, r.devid, r.ring);
    const dataBytes = r.copies.reduce((n, s) => n + s.len, 0);
    if (dataBytes > r.raw.length) throw new HypervisorError(`domain ${r.domid}: answer carries ${r.raw.length} bytes, its copies need ${dataBytes}`);
    this.guarded(r.domid, () => ring.respond(r.positions, r.raw.subarray(dataBytes), r.copies, r.raw.subarray(0, dataBytes)));
  }

  /**
   * A backend takes a frontend's event channel for a device whose shared page it reads and writes
   * with grants. Bound again (a restarted backend), the channel is the same and one event is
   * pushed at once, since notifications sent while no backend listened are gone.
   */
  bindEvtchn(peer: BackendPeer, domid: number, devid: number, port: number): null {
    const d = this.get(domid);
    const pv = d.machine.pv;
    if (pv === undefined) throw new HypervisorError(`domain ${domid} is not paravirtual: it has no event channels`);
    const key = BackendLinks.keyOf(peer.instance, domid, devid);
    const bound = d.channels.get(key);
    if (bound === undefined || bound.port !== port) {
      const p = pv.evtchn.get(port);
      if (p?.kind !== "unbound" || p.remoteDom !== BACKEND_DOMID) {
        throw new HypervisorError(`domain ${domid}: port ${port} is not an unbound event channel for domain ${BACKEND_DOMID}`);
      }
      const channel = { port, peer: undefined as BackendPeer | undefined };
      d.channels.set(key, channel);
      pv.evtchn.set(port, { kind: "backend", notify: () => { if (channel.peer !== undefined) pushEvtchnEvent(channel.peer, domid, devid); } });
    }
    const channel = d.channels.get(key)!;
    channel.peer = peer;
    pushEvtchnEvent(peer, domid, devid);
    return null;
  }

  unbindEvtchn(peer: BackendPeer, domid: number, devid: number): null {
    const d = this.get(domid);
    const key = BackendLinks.keyOf(peer.instance, domid, devid);
    const channel = d.channels.get(key);
    if (channel === undefined) throw new HypervisorError(`domain ${domid} has no ${peer.instance} channel for device ${devid}`);
    d.channels.delete(key);
    d.machine.pv?.evtchn.set(channel.port, { kind: "unbound", remoteDom: BACKEND_DOMID });
    return null;
  }

  notifyEvtchn(peer: BackendPeer, domid: number, devid: number): null {
    const d = this.get(domid);
    const channel = d.channels.get(BackendLinks.keyOf(peer.instance, domid, devid));
    if (channel === undefined) throw new HypervisorError(`domain ${domid} has no ${peer.instance} channel for device ${devid}`);
    d.machine.pv?.deliver(channel.port);
    return null;
  }

  /** Bytes into pages a PV domain granted, writable, to the backends' domain. */
  grantWrite(domid: number, segments: readonly GrantSegment[], data: Uint8Array): null {
    const pv = this.get(domid).machine.pv;
    if (pv === undefined) throw new HypervisorError(`domain ${domid} is not paravirtual: it has no grants`);
    this.guarded(domid, () => copyToGrants(pv, BACKEND_DOMID, segments, data));
    return null;
  }

  /** Bytes of pages a PV domain granted to the backends' domain (GNTTABOP_copy from a grant). */
  grantRead(domid: number, segments: readonly GrantSegment[]): Uint8Array {
    const pv = this.get(domid).machine.pv;
    if (pv === undefined) throw new HypervisorError(`domain ${domid} is not paravirtual: it has no grants`);
    return this.guarded(domid, () => copyFromGrants(pv, BACKEND_DOMID, segments));
  }

  /** Ring and guest-memory faults caused by what a backend or guest wrote become that request's error. */
  private guarded<T>(domid: number, work: () => T): T {
    try {
      return work();
    } catch (e) {
      if (e instanceof RingError || e instanceof GrantError || e instanceof GuestMemoryError) throw new HypervisorError(`domain ${domid}: ${e.message}`);
      throw e;
    }
  }

  /** A backend answered a request it was pushed. */
  virtioDone(done: VirtioDoneFrame): void {
    this.links.answer(done);
  }

  destroy(domid: number): void {
    const d = this.get(domid);
    this.domains.delete(domid);
    this.sched.remove(d);
    d.state = "dying";
    d.machine.close();
    this.pcpus.forget(d.machine.id);
    this.log(`domain ${domid} (${d.spec.name}) destroyed`);
    this.events.domain(domid, "dying");
  }

  pause(domid: number, paused: boolean): void {
    const d = this.get(domid);
    if (d.state !== "running" && d.state !== "blocked") throw new HypervisorError(`domain ${domid} is ${d.state}`);
    d.paused = paused;
    this.events.domain(domid, paused ? "paused" : d.state);
    this.nudge(d);
    this.kick();
  }

  /** Ask for a shutdown. An HVM guest has no shutdown channel: its power is cut and the reason recorded. */
  shutdown(domid: number, reason: "poweroff" | "reboot"): void {
    const d = this.get(domid);
    if (d.state !== "running" && d.state !== "blocked") throw new HypervisorError(`domain ${domid} is ${d.state}`);
    this.markStopped(d, reason);
  }

  /** An HVM domain's framebuffer lines written since the last read (kernel op framebuffer.read). */
  framebufferRead(domid: number, full: boolean): Promise<FramebufferBand> {
    const m = this.get(domid).machine;
    const fb = m.framebuffer;
    if (fb === undefined) throw new HypervisorError(`domain ${domid} has no framebuffer`);
    // The dirty log is the running kernel's to clear.
    return m.whenHome(() => ({ width: fb.width, height: fb.height, stride: fb.stride, ...m.framebufferChanges(full) }));
  }

  rename(domid: number, name: string): Domain {
    const d = this.get(domid);
    const other = [...this.domains.values()].find((x) => x !== d && x.spec.name === name);
    if (other !== undefined) throw new HypervisorError(`a domain named "${name}" already exists (id ${other.domid})`);
    this.log(`domain ${domid} (${d.spec.name}) renamed ${name}`);
    d.rename(name);
    return d;
  }

  /** The pCPUs a domain may run on: those named (empty: any), each one this host has. */
  private checkAffinity(what: string, cpus: readonly number[]): readonly number[] {
    const n = this.pcpus.count;
    const bad = cpus.find((c) => !Number.isInteger(c) || c < 0 || c >= n);
    if (bad !== undefined) throw new HypervisorError(`${what}: there is no pCPU ${bad}; this host has ${n} (0-${n - 1})`);
    return [...new Set(cpus)].sort((a, b) => a - b);
  }

  /** Which pCPUs a domain's vCPUs may run on (xm vcpu-pin); a slice running now finishes where it is. */
  setAffinity(domid: number, cpus: readonly number[]): Domain {
    const d = this.get(domid);
    d.affinity = this.checkAffinity(`domain ${domid}`, cpus);
    this.kick();
    return d;
  }

  /**
   * The most a running PV domain's balloon may hold from now on (xm mem-max): up to the region
   * it was built with. Lowered below what it holds, it keeps its pages but takes no more, as in
   * Xen. An HVM domain's memory is fixed while it runs.
   */
  setMaxMem(domid: number, maxmemMiB: number): Domain {
    const d = this.get(domid);
    const balloon = d.machine.pv?.balloon;
    if (balloon === undefined) throw new HypervisorError(`domain ${domid} is not paravirtual: its memory is fixed while it runs`);
    const pages = (maxmemMiB * MiB) / PAGE - PV_SPECIAL_PAGES;
    if (pages > balloon.regionPages) {
      const region = ((balloon.regionPages + PV_SPECIAL_PAGES) * PAGE) / MiB;
      throw new HypervisorError(`domain ${domid} was built with room for ${region} MiB (its maxmem then); a larger maxmem applies at its next start`);
    }
    balloon.maxPages = Math.max(1, pages);
    d.maxmemMiB = maxmemMiB;
    this.log(`domain ${domid} (${d.spec.name}) maxmem ${maxmemMiB} MiB`);
    return d;
  }

  setSched(domid: number, weight?: number, cap?: number): Domain {
    const d = this.get(domid);
    if (weight !== undefined) d.weight = weight;
    if (cap !== undefined) d.cap = cap;
    return d;
  }

  consoleWrite(domid: number, data: Uint8Array): void {
    const d = this.get(domid);
    d.input(data);
    this.nudge(d);
    this.kick();
  }

  /** Something waits for `d` (an event, input): a slice of it running on a pCPU ends soon. */
  private nudge(d: Domain): void {
    for (const cpu of d.onCpus) this.pcpus.all[cpu].preempt();
  }

  private markStopped(d: Domain, reason: ShutdownReason): void {
    this.nudge(d);
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

  /**
   * Until stop(): domains that stopped short last time run here first, then every free pCPU gets
   * a domain to run; then the pCPU workers end.
   */
  async loop(): Promise<void> {
    while (!this.stopped) {
      const now = performance.now();
      this.sched.account(now);
      const more = this.runAtHome(now);
      for (const cpu of this.pcpus.all) {
        if (cpu.busy) continue;
        const d = this.sched.pick(now, (x) => x.mayRunOn(cpu.id));
        if (d !== undefined) this.runOn(this.lanesFor(d, cpu), d);
      }
      // A slice's end kicks the loop, as do events and new work.
      if (more) await new Promise<void>((resolve) => setImmediate(resolve));
      else await this.sleep(this.sched.nextWake(now) - now);
    }
    await this.pcpus.close();
  }

  /**
   * A domain whose last run stopped short (it went to sleep, or asked the host for something)
   * most likely does so again soon: a tick, a hypercall, a ring notification. Its next run is a
   * short burst on this thread, which costs it nothing to hand over (a round trip to a pCPU
   * worker costs several times an idle guest's tick); one that uses its whole burst computes, and
   * goes to a pCPU. The bursts of one pass take at most HOME_PASS_MS, so requests and backends
   * are served between passes. Returns whether such domains still wait.
   */
  private runAtHome(now: number): boolean {
    const until = now + HOME_PASS_MS;
    for (;;) {
      const d = this.sched.pick(now, (x) => !x.computing);
      if (d === undefined) return false;
      if (performance.now() >= until) return true;
      d.beginRun();
      const start = performance.now();
      let r: StepResult;
      try {
        r = d.machine.step(HOME_BURST_INSTRUCTIONS);
      } catch (e) {
        this.crashed(d, e);
        continue;
      }
      this.ran(d, r, start);
    }
  }

  /**
   * The pCPUs a computing domain runs on from `cpu`: with other free pCPUs it may run on, a
   * paravirtual domain whose vCPUs have work runs as lanes at once (kernel/cpu/lanes.ts), one
   * per pCPU.
   */
  private lanesFor(d: Domain, cpu: PCpu): readonly PCpu[] {
    if (!d.computing) return [cpu];
    const others = this.pcpus.all.filter((c) => c !== cpu && !c.busy && d.mayRunOn(c.id));
    return others.length === 0 ? [cpu] : [cpu, ...others].slice(0, d.machine.lanes);
  }

  /**
   * A slice of `d` on `cpus`: on one, the machine as a whole; on several, one lane each. The
   * first lane back ends the others' slices, so the machine comes home whole; it is charged for
   * every pCPU it held.
   */
  private runOn(cpus: readonly PCpu[], d: Domain): void {
    d.beginRun();
    d.onCpus = cpus.map((c) => c.id);
    d.lastCpus = d.onCpus;
    const start = performance.now();
    const machine = d.machine.leave();
    const quantum = this.sched.sliceMs(d, start);
    const slices = cpus.length === 1
      ? [cpus[0].run(machine, SLICE_INSTRUCTIONS, quantum)]
      : cpus.map((cpu, index) => cpu.run(machine, SLICE_INSTRUCTIONS, quantum, { index, count: cpus.length }).finally(() => {
        for (const other of cpus) other.preempt();
      }));
    void Promise.allSettled(slices).then((ends) => {
      const failed = ends.find((e): e is PromiseRejectedResult => e.status === "rejected");
      if (failed === undefined) {
        this.sliceEnded(d, ends.map((e) => (e as PromiseFulfilledResult<SliceResult>).value), start);
        return;
      }
      d.onCpus = [];
      d.machine.abandon();
      if (d.state === "running") {
        this.log(`domain ${d.domid}: its slice on pCPU ${cpus.map((c) => c.id).join(", ")} failed: ${(failed.reason as Error).message}`);
        this.markStopped(d, "crash");
      }
      this.kick();
    });
  }

  private sliceEnded(d: Domain, slices: readonly SliceResult[], start: number): void {
    d.onCpus = [];
    this.kick();
    // Destroyed, shut down or crashed while the slice ran: what the guest asked for is moot.
    if (d.state !== "running") {
      d.machine.abandon();
      return;
    }
    let r: StepResult;
    try {
      r = d.machine.arrive(slices);
    } catch (e) {
      this.crashed(d, e);
      return;
    }
    this.ran(d, r, start, slices.length);
  }

  private crashed(d: Domain, e: unknown): void {
    if (!(e instanceof MachineError)) throw e;
    this.log(`domain ${d.domid}: ${e.message}`);
    this.markStopped(d, "crash");
  }

  /**
   * A run of `d` that began at `start` ended with `r`. The domain is charged the time since
   * `start`, handing over to and from a pCPU included (about 0.4 ms a slice here): what is lost
   * between slices is then shared by weight, not taken from whoever runs last in a period.
   */
  private ran(d: Domain, r: StepResult, start: number, pcpus = 1): void {
    const now = performance.now();
    this.sched.charge(d, (now - start) * pcpus, now);
    d.computing = r.kind === "ran" && r.computing;
    d.feedInput();
    if (r.kind === "idle") {
      // Woken during the run, it was idle before the event reached it: it runs again at once.
      if (!d.wokenInSlice) {
        d.state = "blocked";
        this.sched.sleep(d, wakeTime(now, r.ms));
      }
      d.boosted = true;
    } else if (r.kind === "shutdown") {
      this.markStopped(d, r.reason);
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

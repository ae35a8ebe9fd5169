// xend: the toolstack's view of the host's domains and the lifecycle actions it takes for them.
// The kernel is the authority on which domains run; xend adds what the kernel does not keep
// (configurations, managed domains, start times) and acts when a guest powers off, reboots or
// crashes. Every answer is computed from a fresh kernel list, so a restarted xend, or one that
// missed events, still shows exactly what runs.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { DEFAULT_CAP, DEFAULT_WEIGHT, type DomainInfo, type EventFrame, type ShutdownReason } from "../../kernel/public/protocol.js";
import { everyVcpu, type XendChangeResult, type XendDomain, type XendHostInfo, type XendShutdownResult, type XendVbd, type XendVcpu, type XendVif } from "../../kernel/public/xend-protocol.js";
import type { KernelClient } from "../kernel-client.js";
import type { HomePaths } from "../lib/home.js";
import { KernelLink } from "./kernel-link.js";
import { ManagedStore } from "./managed-store.js";
import { RunningRecords, type RunningRecord } from "./running-records.js";
import { decide, DEFAULT_LIFECYCLE } from "./lifecycle.js";
import {
  guestSxp, parseGuestSxp, domainSxp, withResources, kernelSpec, lifecycleOf, type GuestConfig, type ResourceChange,
} from "./guest-config.js";
import { dom0Domain, hostInfoRows } from "./dom0.js";
import { readXendConfig, type XendSettings } from "./xend-config.js";
import { GUEST_SHUTDOWN_TIMEOUT_MS, requestGuestShutdown } from "./shutdown-request.js";
import { storeSocketOf, StoreUnavailable, writeGuestKey, writeGuestKeys } from "./store-session.js";
import { listDisks, plugDisks, unplugDisk } from "./vbd.js";
import { forgetDomainDevices } from "./xenbus-devices.js";
import { listVifs, plugVifs, unplugVif, withMac } from "./vif.js";
import { plugScreens, vncLocation } from "./vfb.js";
import { parseVifEntry, type VifSpec } from "../config/vif.js";
import { MAX_VIFS } from "../config/domain.js";
import { diskFromParts, type DiskSpec } from "../config/disk.js";
import { vdevToNumber } from "../config/vdev.js";

/** A user-facing refusal: the message is shown by xm as it is. */
export class XendError extends Error {
  override name = "XendError";
}

export const DOM0_NAME = "Domain-0";

type Resolved =
  | { readonly kind: "dom0" }
  | { readonly kind: "running"; readonly info: DomainInfo; readonly record: RunningRecord | undefined; readonly name: string }
  | { readonly kind: "inactive"; readonly name: string; readonly config: GuestConfig };

/** The pCPU vCPU `v` ran on in a slice on `cpus` (one per lane), or null before it first ran on one. */
function laneCpu(cpus: readonly number[], v: number): number | null {
  return cpus.length === 0 ? null : cpus[v % cpus.length];
}

/** NICs without mac= get a random 00:16:3e address once, kept with the domain from then on (as Xen's xm does). */
function withMacs(g: GuestConfig): GuestConfig {
  return { ...g, config: { ...g.config, vif: g.config.vif.map(withMac) } };
}

export class Xend {
  private readonly link: KernelLink;
  private readonly managed: ManagedStore;
  private readonly records: RunningRecords;
  private readonly settings: XendSettings;
  /** Domains whose stop is being handled, so an event and a reconcile do not both act. */
  private readonly handling = new Set<number>();
  /** Checks that a guest acted on a shutdown request, one per domain. */
  private readonly shutdownChecks = new Map<number, NodeJS.Timeout>();

  constructor(private readonly paths: HomePaths, private readonly log: (msg: string) => void) {
    this.settings = readXendConfig(paths.xendConfig, log);
    this.managed = new ManagedStore(paths.domains);
    this.records = new RunningRecords(paths.xendState, log);
    this.link = new KernelLink(paths.home, {
      connected: (client) => void this.reconcile(client),
      event: (e) => this.onEvent(e),
    }, log);
  }

  start(): void {
    this.link.start();
  }

  stop(): void {
    for (const t of this.shutdownChecks.values()) clearTimeout(t);
    this.shutdownChecks.clear();
    this.link.stop();
  }

  private kernel(): KernelClient {
    return this.link.get();
  }

  // ---- keeping the view right ------------------------------------------------------------------

  /** After (re)connecting: forget domains the kernel no longer has, act on any that stopped meanwhile. */
  private async reconcile(client: KernelClient): Promise<void> {
    try {
      const live = await client.listDomains();
      this.records.retain((rec) => live.some((d) => d.domid === rec.domid && d.name === rec.name));
      this.log(`kernel has ${live.length} domain(s); xend keeps records for ${this.records.all().length}`);
      for (const d of live) {
        if (d.state === "shutdown" || d.state === "crashed") {
          void this.handleStopped(d.domid, d.shutdownReason ?? (d.state === "crashed" ? "crash" : "poweroff"));
        }
      }
    } catch (e) {
      this.log(`cannot rebuild the domain view: ${(e as Error).message}`);
    }
  }

  private onEvent(e: EventFrame): void {
    if (e.event !== "domain") return;
    if (e.state === "shutdown" || e.state === "crashed") {
      void this.handleStopped(e.domid, e.reason ?? (e.state === "crashed" ? "crash" : "poweroff"));
    } else if (e.state === "dying") {
      this.records.delete(e.domid);
      forgetDomainDevices(storeSocketOf(this.paths.home), e.domid).catch((err: Error) => this.log(`domain ${e.domid}: ${err.message}`));
    }
  }

  /** Apply on_poweroff / on_reboot / on_crash to a domain that stopped by itself. */
  private async handleStopped(domid: number, reason: ShutdownReason): Promise<void> {
    if (this.handling.has(domid)) return;
    this.handling.add(domid);
    try {
      const rec = this.records.get(domid);
      const config = rec === undefined ? undefined : this.parseStored(rec.config, `domain ${domid}`);
      const lifecycle = config === undefined ? DEFAULT_LIFECYCLE : lifecycleOf(config);
      const decision = decide(reason, lifecycle, rec?.restarts ?? [], Date.now());
      const name = rec?.name ?? `domain ${domid}`;
      this.log(`domain ${domid} (${name}) stopped: ${reason}; action ${decision.kind}`);
      const kernel = this.kernel();
      switch (decision.kind) {
        case "none":
        case "preserve":
          return;
        case "destroy":
          await kernel.destroy(domid);
          this.records.delete(domid);
          return;
        case "refuse-restart":
          this.log(`domain ${domid} (${name}): ${decision.why}`);
          await kernel.destroy(domid);
          this.records.delete(domid);
          return;
        case "rename-restart": {
          // Xen's _preserveForRestart: the stopped domain steps aside as Domain-<new uuid> and is
          // kept for inspection; a new one starts under the old name.
          if (config === undefined || rec === undefined) {
            this.log(`domain ${domid}: no configuration is known, so it cannot be restarted; preserving it`);
            return;
          }
          const aside = `Domain-${randomUUID()}`;
          await kernel.rename(domid, aside);
          this.records.set({ ...rec, name: aside, managed: false, restarts: [] });
          const newId = await this.buildDomain(config, { ...rec, restarts: [...rec.restarts, Date.now()].slice(-10) }, false);
          this.log(`domain ${name} restarted as domain ${newId}; the stopped one is kept as ${aside} (id ${domid})`);
          return;
        }
        case "restart": {
          if (config === undefined || rec === undefined) {
            this.log(`domain ${domid}: no configuration is known, so it cannot be restarted; destroying it`);
            await kernel.destroy(domid);
            return;
          }
          await kernel.destroy(domid);
          this.records.delete(domid);
          const newId = await this.buildDomain(config, { ...rec, restarts: [...rec.restarts, Date.now()].slice(-10) }, false);
          this.log(`domain ${name} restarted as domain ${newId}`);
          return;
        }
      }
    } catch (e) {
      this.log(`domain ${domid}: lifecycle action failed: ${(e as Error).message}`);
    } finally {
      this.handling.delete(domid);
    }
  }

  private parseStored(sxp: string, what: string): GuestConfig | undefined {
    try {
      return parseGuestSxp(sxp, what);
    } catch (e) {
      this.log(`${what}: stored configuration is unreadable: ${(e as Error).message}`);
      return undefined;
    }
  }

  // ---- naming domains ---------------------------------------------------------------------------

  private async resolve(ref: string): Promise<Resolved> {
    if (ref === DOM0_NAME || ref === "0") return { kind: "dom0" };
    const live = await this.kernel().listDomains();
    const byId = /^\d+$/.test(ref) ? live.find((d) => d.domid === Number(ref)) : undefined;
    const info = byId ?? live.find((d) => this.nameOf(d) === ref);
    if (info !== undefined) return { kind: "running", info, record: this.records.get(info.domid), name: this.nameOf(info) };
    const sxp = this.managed.read(ref);
    if (sxp !== undefined) {
      const config = this.parseStored(sxp, this.managed.pathOf(ref));
      if (config === undefined) throw new XendError(`the stored configuration of '${ref}' (${this.managed.pathOf(ref)}) is unreadable; see xend.log, or \`xm delete ${ref}\``);
      return { kind: "inactive", name: ref, config };
    }
    throw new XendError(`Domain '${ref}' does not exist.`);
  }

  private nameOf(d: DomainInfo): string {
    return this.records.get(d.domid)?.name ?? d.name;
  }

  private async running(ref: string, verb: string): Promise<Extract<Resolved, { kind: "running" }>> {
    const r = await this.resolve(ref);
    if (r.kind === "dom0") throw new XendError(`Domain-0 is the host itself; it cannot ${verb}`);
    if (r.kind === "inactive") throw new XendError(`Domain '${r.name}' is not running; start it with \`xm start ${r.name}\``);
    return r;
  }

  // ---- xm list ---------------------------------------------------------------------------------

  private async dom0(): Promise<XendDomain> {
    const info = await this.kernel().info();
    return dom0Domain(this.settings, info);
  }

  private runningRow(d: DomainInfo): XendDomain {
    const rec = this.records.get(d.domid);
    return {
      name: this.nameOf(d),
      domid: d.domid,
      memoryMiB: d.memoryMiB,
      maxmemMiB: d.maxmemMiB,
      vcpus: d.vcpus,
      online: d.online,
      state: d.state,
      cpuTimeS: d.cpuTimeNs / 1e9,
      weight: d.weight,
      cap: d.cap,
      startTime: rec?.startTime ?? null,
      managed: rec?.managed ?? false,
      cpus: d.cpus,
    };
  }

  private inactiveRow(name: string, config: GuestConfig): XendDomain {
    return {
      name, domid: null, memoryMiB: config.config.memory, maxmemMiB: config.config.maxmem,
      vcpus: config.config.vcpus, online: everyVcpu(config.config.vcpus), state: null, cpuTimeS: 0, weight: config.weight ?? DEFAULT_WEIGHT, cap: config.cap ?? DEFAULT_CAP,
      startTime: null, managed: true, cpus: config.config.cpus ?? [],
    };
  }

  /** Domain-0, then running domains by id, then managed domains that are not running, by name. */
  async list(refs?: readonly string[]): Promise<XendDomain[]> {
    if (refs !== undefined && refs.length > 0) {
      const out: XendDomain[] = [];
      for (const ref of refs) {
        const r = await this.resolve(ref);
        out.push(r.kind === "dom0" ? await this.dom0() : r.kind === "running" ? this.runningRow(r.info) : this.inactiveRow(r.name, r.config));
      }
      return out;
    }
    const live = await this.kernel().listDomains();
    const rows = [await this.dom0(), ...live.map((d) => this.runningRow(d))];
    const runningNames = new Set(rows.map((r) => r.name));
    for (const name of this.managed.names()) {
      if (runningNames.has(name)) continue;
      const sxp = this.managed.read(name);
      const config = sxp === undefined ? undefined : this.parseStored(sxp, this.managed.pathOf(name));
      if (config !== undefined) rows.push(this.inactiveRow(name, config));
    }
    return rows;
  }

  /** `xm list -l`: the domain's record as SXP. */
  async sxp(ref: string): Promise<string> {
    const r = await this.resolve(ref);
    if (r.kind === "dom0") {
      const d = await this.dom0();
      return domainSxp(undefined, d);
    }
    if (r.kind === "inactive") return domainSxp(r.config, this.inactiveRow(r.name, r.config));
    const config = r.record === undefined ? undefined : this.parseStored(r.record.config, `domain ${r.info.domid}`);
    const location = config?.config.vfb.length ? await vncLocation(storeSocketOf(this.paths.home), r.info.domid).catch(() => undefined) : undefined;
    return domainSxp(config, this.runningRow(r.info), location);
  }

  // ---- creating and starting -------------------------------------------------------------------

  /**
   * Create a domain paused, as Xen's toolstack does, plug its devices in so they are there when
   * it first runs, then let it run (unless `paused`). A device that cannot be set up ends the
   * half-made domain. Returns its id.
   */
  private async buildDomain(config: GuestConfig, record: Omit<RunningRecord, "domid" | "startTime">, paused: boolean): Promise<number> {
    const kernel = this.kernel();
    const domid = await kernel.createDomain(kernelSpec(config), true);
    this.records.set({ ...record, domid, startTime: Date.now() / 1000 });
    try {
      const hvm = config.config.builder === "hvm";
      await plugDisks(storeSocketOf(this.paths.home), domid, config.config.disk, hvm);
      await plugVifs(storeSocketOf(this.paths.home), domid, config.config.vif.map(withMac), hvm);
      await plugScreens(storeSocketOf(this.paths.home), domid, config.config.vfb, this.settings, hvm);
    } catch (e) {
      await kernel.destroy(domid);
      this.records.delete(domid);
      throw new XendError(`Domain '${config.config.name}' was not started: ${(e as Error).message}`);
    }
    if (config.weight !== undefined || config.cap !== undefined) {
      await kernel.sched(domid, { weight: config.weight, cap: config.cap });
    }
    if (!paused) await kernel.unpause(domid);
    return domid;
  }

  private async boot(given: GuestConfig, managed: boolean, paused: boolean): Promise<XendDomain> {
    const kernel = this.kernel();
    const config = withMacs(given);
    const live = await kernel.listDomains();
    const clash = live.find((d) => this.nameOf(d) === config.config.name);
    if (clash !== undefined) {
      throw new XendError(`Domain '${config.config.name}' is already running (id ${clash.domid}); pick another name= or \`xm destroy ${config.config.name}\` first`);
    }
    const domid = await this.buildDomain(config, { name: config.config.name, config: guestSxp(config), managed, restarts: [] }, paused);
    this.log(`started domain ${domid} (${config.config.name})${managed ? ", managed" : ""}`);
    const info = (await kernel.listDomains()).find((d) => d.domid === domid);
    if (info === undefined) throw new XendError(`domain ${config.config.name} (id ${domid}) ended at once; see \`xm dmesg\``);
    return this.runningRow(info);
  }

  /** `xm create`: start a domain from a config; if a managed domain has its name, its stored settings are replaced (manual §6.6). */
  async create(configText: string, source: string, paused: boolean): Promise<XendDomain> {
    const config = withMacs(parseGuestSxp(configText, source));
    const isManaged = this.managed.read(config.config.name) !== undefined;
    if (isManaged) this.managed.write(config.config.name, guestSxp(config));
    return this.boot(config, isManaged, paused);
  }

  /** `xm new`: keep a domain's configuration without starting it. */
  async newManaged(configText: string, source: string): Promise<XendDomain> {
    const config = withMacs(parseGuestSxp(configText, source));
    const live = await this.kernel().listDomains();
    const running = live.find((d) => this.nameOf(d) === config.config.name);
    if (running !== undefined && this.records.get(running.domid)?.managed === true) {
      throw new XendError(`Domain '${config.config.name}' is running; shut it down before replacing its settings`);
    }
    this.managed.write(config.config.name, guestSxp(config));
    this.log(`managed domain ${config.config.name} stored in ${this.managed.pathOf(config.config.name)}`);
    return this.inactiveRow(config.config.name, config);
  }

  async deleteManaged(ref: string): Promise<void> {
    const r = await this.resolve(ref);
    if (r.kind === "dom0") throw new XendError("Domain-0 is the host itself; it cannot be deleted");
    if (r.kind === "running") {
      throw new XendError(r.record?.managed === true
        ? `Domain '${r.name}' is running; shut it down (\`xm shutdown ${r.name}\`) before deleting it`
        : `Domain '${r.name}' is not a managed domain (it was started with xm create); nothing to delete`);
    }
    this.managed.remove(r.name);
    this.log(`managed domain ${r.name} deleted`);
  }

  async startManaged(ref: string, paused: boolean): Promise<XendDomain> {
    const r = await this.resolve(ref);
    if (r.kind === "dom0") throw new XendError("Domain-0 is the host itself; it is always running");
    if (r.kind === "running") throw new XendError(`Domain '${r.name}' is already running (id ${r.info.domid})`);
    return this.boot(r.config, true, paused);
  }

  // ---- acting on running domains ---------------------------------------------------------------

  /**
   * `xm shutdown` / `xm reboot`. A PV domain (builder 'linux') is asked, as Xen does: xend writes
   * control/shutdown in the store and the guest shuts itself down; if it does not within
   * GUEST_SHUTDOWN_TIMEOUT_MS it is left running and the log says so. An HVM domain has no
   * shutdown channel, so the kernel stops it and records the reason; so does a PV domain when the
   * store cannot take the request (the result's warning says why).
   */
  async shutdown(ref: string, reason: "poweroff" | "reboot"): Promise<XendShutdownResult> {
    const r = await this.running(ref, reason === "reboot" ? "be rebooted" : "be shut down");
    const domid = r.info.domid;
    const config = r.record === undefined ? undefined : this.parseStored(r.record.config, `domain ${domid}`);
    if (config?.config.builder === "linux") {
      try {
        await requestGuestShutdown(storeSocketOf(this.paths.home), domid, reason);
        this.log(`domain ${domid} (${r.name}): control/shutdown = ${reason} written; waiting for the guest`);
        this.checkGuestActs(domid, r.name, reason);
        return { via: "guest" };
      } catch (e) {
        if (!(e instanceof StoreUnavailable)) throw e;
        const warning = `${e.message}; the kernel stops '${r.name}' instead, without its OS shutting down`;
        this.log(`domain ${domid} (${r.name}): ${warning}`);
        await this.kernel().shutdown(domid, reason);
        return { via: "kernel", warning };
      }
    }
    await this.kernel().shutdown(domid, reason);
    return { via: "kernel" };
  }

  /** Xen's xm shutdown never forces a guest: if it ignores the request, say so in the log. */
  private checkGuestActs(domid: number, name: string, reason: "poweroff" | "reboot"): void {
    const old = this.shutdownChecks.get(domid);
    if (old !== undefined) clearTimeout(old);
    const timer = setTimeout(() => {
      this.shutdownChecks.delete(domid);
      void (async () => {
        try {
          const d = (await this.kernel().listDomains()).find((x) => x.domid === domid);
          if (d !== undefined && (d.state === "running" || d.state === "blocked" || d.state === "paused")) {
            this.log(`domain ${domid} (${name}) did not act on control/shutdown = ${reason} within ${GUEST_SHUTDOWN_TIMEOUT_MS / 1000} s; it is left running (\`xm destroy ${name}\` stops it)`);
          }
        } catch (e) {
          this.log(`domain ${domid}: cannot check its shutdown: ${(e as Error).message}`);
        }
      })();
    }, GUEST_SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    this.shutdownChecks.set(domid, timer);
  }

  // ---- virtual disks (xm block-*) ----------------------------------------------------------------

  /** `xm block-attach`: plug a disk into a running domain (hot-plug); it is not added to the stored config. */
  async blockAttach(ref: string, uname: string, dev: string, mode: string): Promise<void> {
    const r = await this.running(ref, "get a disk");
    let disk: DiskSpec;
    try {
      disk = diskFromParts(uname, dev, mode, undefined);
    } catch (e) {
      throw new XendError(`block-attach: ${(e as Error).message}`);
    }
    const builder = r.record === undefined ? undefined : this.parseStored(r.record.config, `domain ${r.info.domid}`)?.config.builder;
    try {
      await plugDisks(storeSocketOf(this.paths.home), r.info.domid, [disk], builder === "hvm");
    } catch (e) {
      throw new XendError(`Domain '${r.name}': ${(e as Error).message}`);
    }
    this.log(`domain ${r.info.domid}: disk ${disk.vdev} attached (${uname}, ${mode})`);
  }

  async blockDetach(ref: string, dev: string): Promise<void> {
    const r = await this.running(ref, "lose a disk");
    let devid: number;
    try {
      devid = /^\d+$/.test(dev) ? Number(dev) : vdevToNumber(dev);
    } catch (e) {
      throw new XendError(`block-detach: ${(e as Error).message}`);
    }
    try {
      await unplugDisk(storeSocketOf(this.paths.home), r.info.domid, devid);
    } catch (e) {
      throw new XendError(`Domain '${r.name}': ${(e as Error).message}`);
    }
    this.log(`domain ${r.info.domid}: disk ${dev} detached`);
  }

  async blockList(ref: string): Promise<XendVbd[]> {
    const r = await this.running(ref, "list its disks");
    try {
      return await listDisks(storeSocketOf(this.paths.home), r.info.domid);
    } catch (e) {
      throw new XendError(`Domain '${r.name}': ${(e as Error).message}`);
    }
  }

  // ---- network interfaces (xm network-*) ---------------------------------------------------------

  /** `xm network-attach`: plug a NIC into a running domain, as the next free index. */
  async networkAttach(ref: string, settings: string): Promise<void> {
    const r = await this.running(ref, "get a network interface");
    let vif: VifSpec;
    try {
      vif = withMac(parseVifEntry(settings));
    } catch (e) {
      throw new XendError(`network-attach: ${(e as Error).message}`);
    }
    const socket = storeSocketOf(this.paths.home);
    const builder = r.record === undefined ? undefined : this.parseStored(r.record.config, `domain ${r.info.domid}`)?.config.builder;
    try {
      const used = new Set((await listVifs(socket, r.info.domid)).map((v) => v.idx));
      let devid = 0;
      while (used.has(devid)) devid++;
      if (devid >= MAX_VIFS) throw new Error(`it has ${MAX_VIFS} network interfaces already, the most a domain may have`);
      await plugVifs(socket, r.info.domid, [withMac(vif)], builder === "hvm", devid);
      this.log(`domain ${r.info.domid}: network interface ${devid} attached (${withMac(vif).mac})`);
    } catch (e) {
      throw new XendError(`Domain '${r.name}': ${(e as Error).message}`);
    }
  }

  async networkDetach(ref: string, devid: number): Promise<void> {
    const r = await this.running(ref, "lose a network interface");
    try {
      await unplugVif(storeSocketOf(this.paths.home), r.info.domid, devid);
    } catch (e) {
      throw new XendError(`Domain '${r.name}': ${(e as Error).message}`);
    }
    this.log(`domain ${r.info.domid}: network interface ${devid} detached`);
  }

  async networkList(ref: string): Promise<XendVif[]> {
    const r = await this.running(ref, "list its network interfaces");
    try {
      return await listVifs(storeSocketOf(this.paths.home), r.info.domid);
    } catch (e) {
      throw new XendError(`Domain '${r.name}': ${(e as Error).message}`);
    }
  }

  async destroy(ref: string): Promise<void> {
    const r = await this.running(ref, "be destroyed");
    await this.kernel().destroy(r.info.domid);
    this.records.delete(r.info.domid);
  }

  async pause(ref: string, paused: boolean): Promise<void> {
    const r = await this.running(ref, paused ? "be paused" : "be unpaused");
    if (paused) await this.kernel().pause(r.info.domid);
    else await this.kernel().unpause(r.info.domid);
  }

  async schedCredit(ref: string, weight: number | undefined, cap: number | undefined): Promise<void> {
    const r = await this.resolve(ref);
    if (r.kind === "dom0") throw new XendError("Domain-0's CPU share is the host's own; sched-credit applies to guests");
    if (r.kind === "running") {
      await this.kernel().sched(r.info.domid, { weight, cap });
      this.updateRecordConfig(r.info.domid, { weight, cap });
    } else {
      this.updateManaged(r.name, r.config, { weight, cap });
    }
  }

  private updateRecordConfig(domid: number, change: ResourceChange): void {
    const rec = this.records.get(domid);
    if (rec === undefined) return;
    const config = this.parseStored(rec.config, `domain ${domid}`);
    if (config === undefined) return;
    const next = withResources(config, change);
    this.records.set({ ...rec, config: guestSxp(next) });
    if (rec.managed) this.managed.write(rec.name, guestSxp(next));
  }

  private updateManaged(name: string, config: GuestConfig, change: ResourceChange): void {
    this.managed.write(name, guestSxp(withResources(config, change)));
  }

  /**
   * vcpu-pin, vcpu-set, mem-set, mem-max. mem-set on a running domain sets its balloon's target,
   * as Xen's xend does: memory/target (KiB) in the domain's home, which the guest's balloon
   * driver follows (minios's does; `xm list` shows what the guest holds). vcpu-pin moves a
   * running domain's vCPUs at once (the kernel's affinity), and mem-max moves a running PV
   * domain's maximum within the room it was built with, and vcpu-set a running PV domain's vCPUs
   * within those it was built with (setOnlineVcpus). Otherwise (more vCPUs, a larger maxmem,
   * an HVM domain's) the kernel cannot change a running domain, so the new value is kept in its
   * configuration (and its managed file) and applies at its next start; the result says so. A
   * managed domain that is not running simply changes.
   */
  async changeResources(ref: string, change: ResourceChange, what: string): Promise<XendChangeResult> {
    const r = await this.resolve(ref);
    if (r.kind === "dom0") throw new XendError(`Domain-0 is the host itself; its ${what} is the host's`);
    if (r.kind === "inactive") {
      this.updateManaged(r.name, r.config, change);
      return {};
    }
    if (r.record === undefined) throw new XendError(`xend has no configuration for domain ${r.info.domid}; its ${what} cannot change`);
    const config = this.parseStored(r.record.config, `domain ${r.info.domid}`);
    if (config === undefined) throw new XendError(`the configuration of domain ${r.info.domid} is unreadable`);
    withResources(config, change); // validates against the domain's other settings
    if (change.memoryMiB !== undefined && Object.keys(change).length === 1) {
      await writeGuestKey(storeSocketOf(this.paths.home), r.info.domid, "memory/target", String(change.memoryMiB * 1024)).catch((e: Error) => {
        throw new XendError(`cannot set the memory target of '${r.name}': ${e.message}`);
      });
      this.updateRecordConfig(r.info.domid, change);
      return {};
    }
    if (change.pin !== undefined && Object.keys(change).length === 1) {
      await this.kernel().setAffinity(r.info.domid, change.pin.cpus).catch((e: Error) => {
        throw new XendError(`cannot pin the vCPUs of '${r.name}': ${e.message}`);
      });
      this.updateRecordConfig(r.info.domid, change);
      return {};
    }
    if (change.maxmemMiB !== undefined && Object.keys(change).length === 1) {
      // Within the room it was built with, a PV domain's maximum moves at once; otherwise (an HVM
      // domain, or more room) the kernel says why, and the value waits for the next start.
      const refused = await this.kernel().setMaxMem(r.info.domid, change.maxmemMiB).then(() => undefined, (e: Error) => e.message);
      this.updateRecordConfig(r.info.domid, change);
      return refused === undefined ? {} : { deferred: `${refused}; '${r.name}' gets maxmem ${change.maxmemMiB} MiB at its next start` };
    }
    if (change.vcpus !== undefined && Object.keys(change).length === 1) {
      const refused = await this.setOnlineVcpus(r.info, config, change.vcpus).then(() => undefined, (e: Error) => e.message);
      this.updateRecordConfig(r.info.domid, change);
      return refused === undefined ? {} : { deferred: `${refused}; '${r.name}' gets ${change.vcpus} vCPUs at its next start` };
    }
    this.updateRecordConfig(r.info.domid, change);
    return { deferred: `the kernel cannot change a running domain's ${what} yet; '${r.name}' gets the new value at its next start` };
  }

  /**
   * vcpu-set on a running domain, as Xen's xend does it: cpu/<n>/availability in the domain's
   * home says "online" for the first `n` vCPUs and "offline" for the rest, and the guest, which
   * watches them, brings its vCPUs up and down (`xm list` shows what it did). Only within the
   * vCPUs it was built with, and only for a paravirtual guest: an HVM guest's firmware keeps its
   * harts itself.
   */
  private async setOnlineVcpus(info: DomainInfo, config: GuestConfig, n: number): Promise<void> {
    if (config.config.builder !== "linux") throw new Error("an HVM guest's vCPUs cannot be taken down or added while it runs");
    if (n > info.vcpus) throw new Error(`it was built with ${info.vcpus} vCPU${info.vcpus === 1 ? "" : "s"}, and a running domain gets no more`);
    const keys = everyVcpu(info.vcpus).map((v) => [`cpu/${v}/availability`, v < n ? "online" : "offline"] as const);
    await writeGuestKeys(storeSocketOf(this.paths.home), info.domid, keys);
  }

  async vcpuList(refs?: readonly string[]): Promise<XendVcpu[]> {
    const rows = (await this.list(refs)).filter((d) => d.domid !== null);
    const lastCpus = new Map((await this.kernel().listDomains()).map((d) => [d.domid, d.lastCpus]));
    const out: XendVcpu[] = [];
    for (const d of rows) {
      for (let v = 0; v < d.vcpus; v++) {
        const up = d.online.includes(v);
        out.push({
          // Domain-0's vCPU n is host CPU n. A guest's vCPU ran on its lane's pCPU of the last
          // slice (none before it first runs on one); a vCPU that is down has none.
          name: d.name, domid: d.domid ?? 0, vcpu: v, cpu: !up ? null : d.domid === 0 ? v : laneCpu(lastCpus.get(d.domid ?? 0) ?? [], v),
          state: !up ? "offline" : d.state === "paused" ? "paused" : d.state === "running" ? "running" : d.state === "blocked" ? "blocked" : "offline",
          // The kernel reports CPU time per domain, not per vCPU: each vCPU up shows an equal share.
          cpuTimeS: up ? d.cpuTimeS / d.online.length : 0,
          affinity: d.cpus,
        });
      }
    }
    return out;
  }

  async hostInfo(): Promise<XendHostInfo> {
    const info = await this.kernel().info();
    const live = await this.kernel().listDomains();
    return hostInfoRows(this.settings, info, live.length);
  }

  /** The kernel's log, as `xm dmesg` shows Xen's message buffer. */
  dmesg(clear: boolean): string {
    const path = join(this.paths.log, "kernel.log");
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch {
      return "";
    }
    if (clear) writeFileSync(path, "");
    return text;
  }
}

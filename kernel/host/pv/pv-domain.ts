// The hypervisor's side of one paravirtual domain: its special pages, event channels and grant
// table, the console backend (what Xen's xenconsoled does for a domU's console ring), and the
// relay of its xenstore ring to the store (xenstore-ring.ts), when the host has a store.

import type { GuestMemory } from "../guest-memory.js";
import { EventChannels } from "./event-channels.js";
import { GrantMaps, type MapperMachine, type MappingDomain } from "./grant-maps.js";
import type { PvLayout } from "./pv-layout.js";
import type { XenstoreRing } from "./xenstore-ring.js";
import { Balloon } from "./balloon.js";
import type { PostedSends } from "./posted-sends.js";
import type { PvState, XenstoreRelayState } from "../../public/machine-state.js";
import {
  XENCONS_IN, XENCONS_IN_CONS, XENCONS_IN_PROD, XENCONS_IN_SIZE, XENCONS_OUT, XENCONS_OUT_CONS,
  XENCONS_OUT_PROD, XENCONS_OUT_SIZE,
} from "../../public/xen/console-ring.js";

export interface PvHooks {
  /** Console output from the guest. */
  console(bytes: Uint8Array): void;
  /** An event was delivered: the domain may have work now. */
  wake(): void;
  /** Run `work` when the domain is not running on a pCPU worker (Machine.atHome). */
  atHome(work: () => void): void;
}

export class PvDomain implements MappingDomain {
  readonly evtchn: EventChannels;
  readonly maps: GrantMaps;
  readonly consolePort: number;
  readonly storePort: number;
  readonly balloon: Balloon;
  /** Relays the xenstore ring to the store; none on a host without one (e.g. `domus run`). */
  storeRing: XenstoreRing | undefined;
  /** A restored domain's relay state, for the relay made for it (xenstore-ring.ts) to go on from. */
  readonly restoredStoreRelay: XenstoreRelayState | undefined;

  /**
   * `machine`: the memory and the foreign pages of the domain's kernel instance, for grant maps.
   * `saved`: a restored domain's (checked) state; its balloon's holes are the machine's to make.
   */
  constructor(
    readonly domid: number,
    readonly mem: GuestMemory,
    readonly layout: PvLayout,
    private readonly hooks: PvHooks,
    private readonly posted: PostedSends,
    machine: MapperMachine,
    saved?: PvState,
  ) {
    this.evtchn = new EventChannels(mem, layout.sharedInfo, saved?.ports, posted);
    this.balloon = new Balloon(mem, layout.guestPages, layout.bootPages);
    this.maps = new GrantMaps(machine, layout.guestPages, (page) => this.balloon.isHole(page));
    this.restoredStoreRelay = saved?.xenstore;
    const hostPort = (service: "console" | "store"): number =>
      saved?.ports.find((p) => p.kind === "host" && p.service === service)?.port
        ?? this.evtchn.alloc({ kind: "host", service }) ?? 0;
    this.consolePort = hostPort("console");
    this.storePort = hostPort("store");
  }

  /** Event channels, balloon and xenstore relay, for a saved state. */
  saveState(): PvState {
    const xenstore = this.storeRing?.saveState();
    return { ports: this.evtchn.saveState(), balloon: this.balloon.holePages(), ...(xenstore === undefined ? {} : { xenstore }) };
  }

  get grantTable(): readonly number[] {
    return this.layout.grantTable;
  }

  deliver(port: number): void {
    // The pending and upcall bits are the guest's to clear: not while it runs on a pCPU worker.
    this.hooks.atHome(() => this.evtchn.deliver(port));
    this.hooks.wake();
  }

  wake(): void {
    this.hooks.wake();
  }

  /**
   * EVTCHNOP_send on `port`, whether the guest made it through the host or the kernel posted it:
   * the other end hears of it. False when the port is not bound.
   */
  send(port: number, lookup: (domid: number) => PvDomain | undefined): boolean {
    const p = this.evtchn.get(port);
    if (p === undefined) return false;
    if (p.kind === "interdomain") (p.remoteDom === this.domid ? this : lookup(p.remoteDom))?.deliver(p.remotePort);
    else if (p.kind === "host" && p.service === "console") this.drainConsole();
    else if (p.kind === "host" && p.service === "store") this.storeRing?.notify();
    else if (p.kind === "backend") p.notify();
    return true;
  }

  /** Serve the sends the kernel posted during the last run (posted-sends.ts). */
  servePosted(lookup: (domid: number) => PvDomain | undefined): void {
    for (const port of this.posted.take()) this.send(port, lookup);
  }

  /** CONSOLEIO_write: the guest's early console. */
  writeConsole(bytes: Uint8Array): void {
    this.hooks.console(bytes);
  }

  /** The guest notified its console port: take what it wrote to the `out` ring. */
  drainConsole(): void {
    const ring = this.mem.dataView(this.layout.console, 4096);
    let cons = ring.getUint32(XENCONS_OUT_CONS, true);
    const prod = ring.getUint32(XENCONS_OUT_PROD, true);
    const n = (prod - cons) >>> 0;
    if (n === 0 || n > XENCONS_OUT_SIZE) return; // nothing, or a corrupt index: ignore
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++, cons++) out[i] = ring.getUint8(XENCONS_OUT + (cons & (XENCONS_OUT_SIZE - 1)));
    ring.setUint32(XENCONS_OUT_CONS, cons >>> 0, true);
    this.hooks.console(out);
  }

  /** Keystrokes for the guest: into the `in` ring, then an event. Returns how many fit. */
  consoleInput(bytes: Uint8Array): number {
    const ring = this.mem.dataView(this.layout.console, 4096);
    const cons = ring.getUint32(XENCONS_IN_CONS, true);
    let prod = ring.getUint32(XENCONS_IN_PROD, true);
    const free = XENCONS_IN_SIZE - ((prod - cons) >>> 0);
    const n = Math.max(0, Math.min(free, bytes.length));
    for (let i = 0; i < n; i++, prod++) ring.setUint8(XENCONS_IN + (prod & (XENCONS_IN_SIZE - 1)), bytes[i]);
    ring.setUint32(XENCONS_IN_PROD, prod >>> 0, true);
    if (n > 0) this.deliver(this.consolePort);
    return n;
  }
}

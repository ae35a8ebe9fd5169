// Event channels of one paravirtual domain (Xen's two-level ABI): a port table, and delivery
// into the domain's shared-info page: the pending bit, the selector bit and the vCPU's upcall
// flag, unless the port is masked. The host delivers; the guest consumes and clears.

import {
  NR_EVENT_CHANNELS, SH_EVTCHN_MASK, SH_EVTCHN_PENDING, SH_VCPU_INFO, VI_PENDING_SEL, VI_UPCALL_PENDING,
} from "../../public/xen/shared-info.js";
import type { GuestMemory } from "../guest-memory.js";
import type { SavedPort } from "../../public/machine-state.js";
import { BACKEND_DOMID } from "../../public/xen/xenbus.js";
import type { PostedSends } from "./posted-sends.js";

export type Port =
  | { readonly kind: "unbound"; readonly remoteDom: number }
  | { readonly kind: "interdomain"; readonly remoteDom: number; readonly remotePort: number }
  | { readonly kind: "virq"; readonly virq: number; readonly vcpu: number }
  /** Served by the host itself (the console backend, the relay to the store). */
  | { readonly kind: "host"; readonly service: "console" | "store" }
  /** A shared ring that a backend process serves through the kernel (backend-ring.ts). */
  | { readonly kind: "backend"; readonly notify: () => void };

export class EventChannels {
  private readonly ports = new Map<number, Port>();

  /** `saved`: the ports of a restored domain (a checked state). */
  /** `posted`: the kernel's view of which ports are bound, for sends it posts (posted-sends.ts). */
  constructor(
    private readonly mem: GuestMemory,
    private readonly sharedInfo: number,
    saved: readonly SavedPort[] = [],
    private readonly posted?: PostedSends,
  ) {
    for (const { port, ...p } of saved) this.set(port, p);
  }

  /** The ports for a saved state; those whose other end is outside the domain come back unbound. */
  saveState(): SavedPort[] {
    return [...this.ports].map(([port, p]): SavedPort => {
      switch (p.kind) {
        case "interdomain": return { port, kind: "unbound", remoteDom: p.remoteDom };
        case "backend": return { port, kind: "unbound", remoteDom: BACKEND_DOMID };
        default: return { port, ...p };
      }
    });
  }

  /** The lowest free port (port 0 is never used, as in Xen). */
  alloc(port: Port): number | undefined {
    for (let p = 1; p < NR_EVENT_CHANNELS; p++) {
      if (!this.ports.has(p)) {
        this.set(p, port);
        return p;
      }
    }
    return undefined;
  }

  get(port: number): Port | undefined {
    return this.ports.get(port);
  }

  set(port: number, p: Port): void {
    this.ports.set(port, p);
    this.posted?.allow(port, true);
  }

  close(port: number): Port | undefined {
    const p = this.ports.get(port);
    this.ports.delete(port);
    this.posted?.allow(port, false);
    return p;
  }

  /** Mark `port` pending and raise vCPU 0's upcall unless the port is masked. */
  deliver(port: number): void {
    if (port <= 0 || port >= NR_EVENT_CHANNELS) return;
    const word = Math.floor(port / 64);
    const bit = 1n << BigInt(port % 64);
    const sh = this.mem.dataView(this.sharedInfo, 4096);
    const pending = SH_EVTCHN_PENDING + word * 8;
    const old = sh.getBigUint64(pending, true);
    sh.setBigUint64(pending, old | bit, true);
    if ((old & bit) !== 0n) return; // already pending: the guest has been told
    if ((sh.getBigUint64(SH_EVTCHN_MASK + word * 8, true) & bit) !== 0n) return;
    this.raiseUpcall(sh, word);
  }

  /** EVTCHNOP_unmask: a port that became pending while masked is delivered now. */
  unmask(port: number): void {
    if (port <= 0 || port >= NR_EVENT_CHANNELS) return;
    const word = Math.floor(port / 64);
    const bit = 1n << BigInt(port % 64);
    const sh = this.mem.dataView(this.sharedInfo, 4096);
    const mask = SH_EVTCHN_MASK + word * 8;
    sh.setBigUint64(mask, sh.getBigUint64(mask, true) & ~bit, true);
    if ((sh.getBigUint64(SH_EVTCHN_PENDING + word * 8, true) & bit) !== 0n) this.raiseUpcall(sh, word);
  }

  private raiseUpcall(sh: DataView, word: number): void {
    const vi = SH_VCPU_INFO; // events go to vCPU 0
    const sel = vi + VI_PENDING_SEL;
    sh.setBigUint64(sel, sh.getBigUint64(sel, true) | (1n << BigInt(word)), true);
    sh.setUint8(vi + VI_UPCALL_PENDING, 1);
  }
}

// A bridge's uplink to the host for every guest on it. passt serves one guest (one DHCP lease; it
// answers the address and MAC it saw last), so the uplink gives each guest MAC that speaks on the
// bridge a passt of its own, with its own address (10.0.2.15, .16, … by order of first sight):
// each passt sits on a small bridge of its own with a relay port to this one. Frames from a guest
// go to its passt; what a passt says goes onto the bridge (its ARP answers for other addresses are
// dropped by PasstUplink, so guests still reach each other directly).

import { join } from "node:path";
import { Bridge, type BridgeLink } from "./bridge.js";
import { newCounters, type Port, type PortCounters } from "./port.js";
import { DEFAULT_GUEST_ADDRESS, PasstUplink, UPLINK_PORT } from "./passt-uplink.js";

/** Guests one uplink serves; more would be more passt processes than a small host wants. */
export const MAX_UPLINK_GUESTS = 32;
/** Frames a guest's passt gets while it is starting; later ones drop until it is up. */
const START_QUEUE = 64;

interface Session {
  readonly link: BridgeLink;
  passt: PasstUplink | undefined;
  readonly waiting: Uint8Array[];
}

export class UplinkPort implements Port {
  readonly name = UPLINK_PORT;
  readonly counters: PortCounters = newCounters();
  private readonly sessions = new Map<string, Session>();
  private link: BridgeLink | undefined;
  private closed = false;

  constructor(private readonly bridge: Bridge, private readonly runDir: string, private readonly log: (msg: string) => void) {}

  attach(): void {
    this.link = this.bridge.attach(this);
  }

  deliver(frame: Uint8Array): void {
    const source = macText(frame, 6);
    let session = this.sessions.get(source);
    if (session === undefined) {
      if (this.closed || this.sessions.size >= MAX_UPLINK_GUESTS) {
        this.counters.txDropped++;
        return;
      }
      session = this.open(source, this.sessions.size);
    }
    if (session.passt !== undefined) session.link.input(frame);
    else if (session.waiting.length < START_QUEUE) session.waiting.push(frame);
    else { this.counters.txDropped++; return; }
    this.counters.txPackets++;
    this.counters.txBytes += frame.length;
  }

  private open(mac: string, index: number): Session {
    const inner = new Bridge(`${this.bridge.name}-uplink${index}`);
    // The relay port: what this guest's passt sends comes onto the outer bridge as the uplink's.
    const relay: Port = { name: "relay", counters: newCounters(), deliver: (f) => this.link?.input(f) };
    const session: Session = { link: inner.attach(relay), passt: undefined, waiting: [] };
    this.sessions.set(mac, session);
    const address = offset(DEFAULT_GUEST_ADDRESS, index);
    void PasstUplink.start(inner, { runDir: join(this.runDir, String(index)), address }).then((passt) => {
      if (this.closed) { void passt.stop(); return; }
      session.passt = passt;
      this.log(`${this.bridge.name}: uplink for ${mac} through passt (pid ${passt.pid ?? "?"}), address ${address}`);
      void passt.exited.then((why) => this.log(`${this.bridge.name}: uplink for ${mac} ended: ${why}`));
      for (const f of session.waiting.splice(0)) session.link.input(f);
    }, (e: Error) => this.log(`${this.bridge.name}: uplink for ${mac}: ${e.message}`));
    return session;
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.link?.detach();
    for (const s of this.sessions.values()) await s.passt?.stop().catch(() => {});
  }
}

function macText(frame: Uint8Array, at: number): string {
  return Array.from(frame.subarray(at, at + 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** `base` + n in its last byte: 10.0.2.15 + 2 = 10.0.2.17. */
function offset(base: string, n: number): string {
  const parts = base.split(".").map(Number);
  return [...parts.slice(0, 3), parts[3] + n].join(".");
}

// A learning Ethernet switch, as Linux's bridge (net/bridge) is for Xen's vifs: it learns which
// port each source address is behind, sends known unicast to that port only, and floods unknown
// unicast, broadcast and multicast to every other port. A frame never goes back where it came from.

import { createHash } from "node:crypto";
import { formatMac } from "../../tools/config/mac.js";
import type { Port } from "./port.js";

/** Linux's default forwarding-database ageing time (brctl setageing), in ms. */
export const DEFAULT_AGEING_MS = 300_000;

/**
 * At most this many learned addresses by default. Linux has no limit by default; a guest
 * sending from random source addresses would then grow the table for the whole ageing time.
 * A full table learns nothing new: those addresses are flooded, as unknown ones are.
 */
export const DEFAULT_MAX_ADDRESSES = 8192;

/** Ethernet header: destination, source, EtherType. */
export const ETH_HEADER = 14;
/** The largest frame: 1500 bytes of payload, the header and the 4-byte FCS length allowance. */
export const ETH_MAX_FRAME = 1518;
/** One 802.1Q tag adds 4 bytes. */
const VLAN_TAG = 4;
const ETHERTYPE_VLAN = 0x8100;

/** Host's view, as tcpdump -Q: "in" came from the port into the bridge, "out" went to the port. */
export type Direction = "in" | "out";

export type TapListener = (frame: Uint8Array, port: string, direction: Direction) => void;

/** What a port uses to send frames into the bridge. */
export interface BridgeLink {
  /**
   * Hands a frame to the bridge. Ports and captures may keep it queued, so its bytes must not
   * change afterwards. A malformed frame is counted (rxErrors), never thrown.
   */
  input(frame: Uint8Array): void;
  detach(): void;
}

/** One line of `brctl show`. */
export interface BridgeShow {
  readonly name: string;
  /** Priority 8000 (the default, 32768) and the bridge's address without colons. */
  readonly id: string;
  readonly stp: "no";
  readonly interfaces: readonly string[];
}

/** One entry of `brctl showmacs`. */
export interface LearnedAddress {
  readonly mac: string;
  readonly port: string;
  readonly ageMs: number;
}

export interface BridgeOptions {
  readonly ageingMs?: number;
  readonly maxAddresses?: number;
  /** Milliseconds from any fixed origin; injected by tests. */
  readonly now?: () => number;
}

interface Entry {
  readonly port: Port;
  readonly seen: number;
}

/**
 * A stable address for a bridge, from its name: Xen's OUI with the top bit of the fourth octet
 * set, the half of the range Xen's random guest addresses never use (tools/config/mac.ts).
 */
export function bridgeMac(name: string): string {
  const h = createHash("sha256").update(`domus bridge ${name}`).digest();
  return formatMac([0x00, 0x16, 0x3e, h[0] | 0x80, h[1], h[2]]);
}

/** The 48-bit address at `offset` as a number, the forwarding database's key. */
function macAt(frame: Uint8Array, offset: number): number {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + frame[offset + i];
  return v;
}

function macText(key: number): string {
  const bytes: number[] = [];
  for (let i = 0, v = key; i < 6; i++, v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return formatMac(bytes);
}

/** The group bit: multicast, and broadcast which is all ones. */
function isGroup(frame: Uint8Array, offset: number): boolean {
  return (frame[offset] & 1) !== 0;
}

/**
 * 01:80:c2:00:00:00 to 0f: 802.1D link-local groups (STP, pause, LACP, 802.1X, LLDP). A bridge
 * consumes them and never forwards them (Linux's default group_fwd_mask).
 */
function isLinkLocal(frame: Uint8Array): boolean {
  return frame[0] === 0x01 && frame[1] === 0x80 && frame[2] === 0xc2 && frame[3] === 0 && frame[4] === 0 && (frame[5] & 0xf0) === 0;
}

function validFrameLength(frame: Uint8Array): boolean {
  if (frame.length < ETH_HEADER) return false;
  const tagged = ((frame[12] << 8) | frame[13]) === ETHERTYPE_VLAN;
  return frame.length <= ETH_MAX_FRAME + (tagged ? VLAN_TAG : 0);
}

export class Bridge {
  readonly mac: string;
  private readonly ports = new Map<string, Port>();
  /** Kept in order of last sighting, so the oldest entries are at the front. */
  private readonly fdb = new Map<number, Entry>();
  private readonly bridgeTaps = new Set<TapListener>();
  private readonly portTaps = new Map<string, Set<TapListener>>();
  private readonly ageingMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(readonly name: string, opts: BridgeOptions = {}) {
    this.mac = bridgeMac(name);
    this.ageingMs = opts.ageingMs ?? DEFAULT_AGEING_MS;
    this.maxAddresses = opts.maxAddresses ?? DEFAULT_MAX_ADDRESSES;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Adds a port; its name must be free on this bridge. */
  attach(port: Port): BridgeLink {
    if (this.ports.has(port.name)) throw new Error(`bridge ${this.name} already has a port ${port.name}`);
    this.ports.set(port.name, port);
    return {
      input: (frame) => {
        if (this.ports.get(port.name) === port) this.input(port, frame);
      },
      detach: () => this.detach(port),
    };
  }

  /** Removes a port and forgets the addresses learned behind it. Detaching twice does nothing. */
  detach(port: Port): void {
    if (this.ports.get(port.name) !== port) return;
    this.ports.delete(port.name);
    for (const [mac, entry] of this.fdb) if (entry.port === port) this.fdb.delete(mac);
  }

  /** The attached port of that name. */
  port(name: string): Port | undefined {
    return this.ports.get(name);
  }

  /**
   * Calls `listener` for every valid frame that enters the bridge (direction "in", with its input
   * port), or with `port`, for every frame that port sends ("in") or is sent ("out"). Returns the
   * function that removes the tap.
   */
  tap(listener: TapListener, port?: string): () => void {
    if (port === undefined) {
      this.bridgeTaps.add(listener);
      return () => this.bridgeTaps.delete(listener);
    }
    let set = this.portTaps.get(port);
    if (set === undefined) this.portTaps.set(port, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.portTaps.get(port) === set) this.portTaps.delete(port);
    };
  }

  show(): BridgeShow {
    return { name: this.name, id: `8000.${this.mac.replaceAll(":", "")}`, stp: "no", interfaces: [...this.ports.keys()].sort() };
  }

  /** The live entries of the forwarding database, oldest sighting first. */
  learned(): LearnedAddress[] {
    const now = this.now();
    this.expire(now);
    return [...this.fdb].map(([mac, e]) => ({ mac: macText(mac), port: e.port.name, ageMs: now - e.seen }));
  }

  private input(from: Port, frame: Uint8Array): void {
    // Linux drops frames whose source is a group address (or all zeros) before learning.
    if (!validFrameLength(frame) || isGroup(frame, 6) || macAt(frame, 6) === 0) {
      from.counters.rxErrors++;
      return;
    }
    from.counters.rxPackets++;
    from.counters.rxBytes += frame.length;
    this.notify(this.portTaps.get(from.name), frame, from.name, "in");
    this.notify(this.bridgeTaps, frame, from.name, "in");
    const now = this.now();
    this.expire(now);
    this.learn(macAt(frame, 6), from, now);
    if (isLinkLocal(frame)) return;
    const known = isGroup(frame, 0) ? undefined : this.fdb.get(macAt(frame, 0));
    if (known !== undefined) {
      if (known.port !== from) this.send(known.port, frame);
      return;
    }
    for (const port of this.ports.values()) if (port !== from) this.send(port, frame);
  }

  private send(port: Port, frame: Uint8Array): void {
    this.notify(this.portTaps.get(port.name), frame, port.name, "out");
    port.deliver(frame);
  }

  private notify(taps: Set<TapListener> | undefined, frame: Uint8Array, port: string, direction: Direction): void {
    if (taps !== undefined) for (const t of taps) t(frame, port, direction);
  }

  private learn(mac: number, port: Port, now: number): void {
    // Deleting first moves a refreshed entry to the back, keeping the map in order of sighting.
    const had = this.fdb.delete(mac);
    if (had || this.fdb.size < this.maxAddresses) this.fdb.set(mac, { port, seen: now });
  }

  private expire(now: number): void {
    for (const [mac, e] of this.fdb) {
      if (now - e.seen < this.ageingMs) break;
      this.fdb.delete(mac);
    }
  }
}

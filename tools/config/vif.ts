// `vif=` entries: 'mac=00:16:3e:4f:94:a9,bridge=br0,rate=100Mb/s@20ms' — one virtual NIC each.
// An empty entry '' is a NIC with every setting left to its default, as in Xen.

import { ValueError, show } from "./config-error.js";
import { checkText, parseBackend } from "./names.js";
import { normalizeMac } from "./mac.js";
import { splitPairs, pairMap, joinPairs, type Pair } from "./pairs.js";
import { parseRate, formatRate, type Rate } from "./rate.js";

/** ioemu: an emulated card (model=); netfront: the paravirtual NIC (manual §2.3). */
export const VIF_TYPES = ["ioemu", "netfront"] as const;
export type VifType = (typeof VIF_TYPES)[number];

/** The emulated cards of manual §5.2, by their device-model names; rtl8139 is the default. */
export const NIC_MODELS = ["rtl8139", "pcnet", "ne2k_pci", "ne2k_isa", "i82551", "i82557b", "i82559er", "e1000"] as const;
export type NicModel = (typeof NIC_MODELS)[number];

export interface VifSpec {
  /** Lower-case; a random 00:16:3e address is chosen when the NIC is created if absent. */
  readonly mac?: string;
  readonly bridge?: string;
  /** Space-separated IPv4 addresses the vif script may allow for this NIC. */
  readonly ip?: string;
  readonly script?: string;
  readonly type?: VifType;
  readonly model?: NicModel;
  readonly rate?: Rate;
  /** The net instance serving it; undefined for the default one. */
  readonly backend?: string;
}

const KEYS = ["mac", "bridge", "ip", "script", "type", "model", "rate", "backend"] as const;

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new ValueError(`${what} ${show(value)} is not one of ${allowed.join(", ")}`);
  return found;
}

/** Builds a VifSpec from key/value pairs, as the config file and SXP both give them. */
export function vifFromPairs(pairs: readonly Pair[]): VifSpec {
  const map = pairMap("vif", pairs, KEYS);
  const vif: { -readonly [K in keyof VifSpec]: VifSpec[K] } = {};
  for (const [key, value] of map) {
    if (value === "") throw new ValueError(`vif: ${key} is empty`);
    switch (key) {
      case "mac": vif.mac = normalizeMac(value); break;
      case "bridge":
        if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(value)) throw new ValueError(`vif: bridge ${show(value)} is not an interface name (1 to 15 of A-Z a-z 0-9 _ . : -)`);
        vif.bridge = value;
        break;
      case "ip":
        if (!value.split(/ +/).every((a) => IPV4.test(a))) throw new ValueError(`vif: ip ${show(value)} is not IPv4 addresses separated by spaces`);
        vif.ip = value.split(/ +/).join(" ");
        break;
      case "script": vif.script = checkText("vif script", value); break;
      case "type": vif.type = oneOf("vif type", value, VIF_TYPES); break;
      case "model": vif.model = oneOf("vif model", value, NIC_MODELS); break;
      case "rate": vif.rate = parseRate(value); break;
      case "backend": {
        const backend = parseBackend(value);
        if (backend !== undefined) vif.backend = backend;
        break;
      }
    }
  }
  return vif;
}

/** The settings of a vif as key/value pairs in a fixed order, for both writers. */
export function vifPairs(vif: VifSpec): [string, string][] {
  const values: Record<(typeof KEYS)[number], string | undefined> = {
    mac: vif.mac, bridge: vif.bridge, ip: vif.ip, script: vif.script, type: vif.type, model: vif.model,
    rate: vif.rate === undefined ? undefined : formatRate(vif.rate), backend: vif.backend,
  };
  return KEYS.flatMap((k) => (values[k] === undefined ? [] : [[k, values[k]] as [string, string]]));
}

export function parseVifEntry(entry: string): VifSpec {
  return vifFromPairs(splitPairs("vif", entry));
}

export function formatVifEntry(vif: VifSpec): string {
  return joinPairs(vifPairs(vif));
}

// DOMUS_HOME/xend-config.sxp: the host's settings, in the manual's syntax (§4.2) — a sequence
// of (key value) entries with # comments:
//
//   (xend-relocation-server yes)
//   (xend-relocation-port 8002)
//   (xend-relocation-hosts-allow '^localhost$ ^localhost\\.localdomain$')
//
// A missing file or entry takes the defaults below. Errors are ConfigErrors at FILE:LINE:COL.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, ValueError, show, type Where } from "./config-error.js";
import { parseKeymap, type Keymap } from "./keymap.js";
import { checkText } from "./names.js";
import { readSxp, type SxpNode } from "./sxp.js";
import { checkListenAddress } from "./vfb.js";

export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Limits the store puts on each guest's use of it, so that one guest cannot starve the others
 * (read by services/store/host-config.ts when the store starts).
 */
export interface XenstoreQuotas {
  /** Nodes one domain may own. */
  readonly maxNodesPerDomain: number;
  /** Watches one domain may have registered. */
  readonly maxWatches: number;
  /** Bytes in one node: its value, child names and 8 per permission, as Xen counts. */
  readonly maxNodeSize: number;
  /** Transactions one domain may have open. */
  readonly maxTransactions: number;
  /** Requests one domain may have outstanding. */
  readonly maxRequests: number;
}

export interface XendConfig {
  /** Relative paths are under DOMUS_HOME. */
  readonly logfile: string;
  readonly loglevel: LogLevel;
  readonly relocationServer: boolean;
  readonly relocationPort: number;
  /** Address the relocation server listens on; "" for every interface. */
  readonly relocationAddress: string;
  /** Regular expressions a peer's host name or address must match; none means anyone. */
  readonly relocationHostsAllow: readonly string[];
  readonly vncListen: string;
  /** Default VNC password of the domains' consoles; "" for none. */
  readonly vncPasswd: string;
  /** Default keymap of the domains' keyboards; en-us when absent (manual §6.8). */
  readonly keymap?: Keymap;
  /** MiB below which Domain-0 is never ballooned. */
  readonly dom0MinMem: number;
  /** How many CPUs Domain-0 uses; 0 for all. */
  readonly dom0Cpus: number;
  readonly enableDom0Ballooning: boolean;
  /** Script that sets up the host's network when xend starts; "" for none. */
  readonly networkScript: string;
  /** Script that connects a vif to its bridge, unless the vif names its own. */
  readonly vifScript: string;
  readonly xenstore: XenstoreQuotas;
}

export const XEND_DEFAULTS: XendConfig = {
  logfile: "log/xend.log",
  loglevel: "DEBUG",
  relocationServer: false,
  relocationPort: 8002,
  relocationAddress: "",
  relocationHostsAllow: ["^localhost$", "^localhost\\.localdomain$"],
  vncListen: "127.0.0.1",
  vncPasswd: "",
  dom0MinMem: 512,
  dom0Cpus: 0,
  enableDom0Ballooning: true,
  networkScript: "",
  vifScript: "vif-bridge",
  xenstore: { maxNodesPerDomain: 1000, maxWatches: 128, maxNodeSize: 2048, maxTransactions: 10, maxRequests: 20 },
};

type Setter = (config: Mutable, text: string) => void;
type Settings = Omit<XendConfig, "xenstore">;
type Mutable = { -readonly [K in keyof Settings]: Settings[K] } & {
  xenstore: { -readonly [K in keyof XenstoreQuotas]: number };
};

function yesNo(key: string, text: string): boolean {
  if (text !== "yes" && text !== "no") throw new ValueError(`${key} ${show(text)} is not yes or no`);
  return text === "yes";
}

function count(key: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d{1,10}$/.test(text) || n < min || n > max) throw new ValueError(`${key} ${show(text)} is not a whole number from ${min} to ${max}`);
  return n;
}

function regexes(text: string): string[] {
  const list = text.split(/\s+/).filter((r) => r !== "");
  for (const r of list) {
    try {
      new RegExp(r);
    } catch {
      throw new ValueError(`xend-relocation-hosts-allow: ${show(r)} is not a regular expression`);
    }
  }
  return list;
}

const SETTERS: Record<string, Setter> = {
  logfile: (c, t) => { c.logfile = nonEmpty("logfile", t); },
  loglevel: (c, t) => {
    const level = LOG_LEVELS.find((l) => l === t);
    if (level === undefined) throw new ValueError(`loglevel ${show(t)} is not one of ${LOG_LEVELS.join(", ")}`);
    c.loglevel = level;
  },
  "xend-relocation-server": (c, t) => { c.relocationServer = yesNo("xend-relocation-server", t); },
  "xend-relocation-port": (c, t) => { c.relocationPort = count("xend-relocation-port", t, 1, 65535); },
  "xend-relocation-address": (c, t) => { c.relocationAddress = t === "" ? "" : checkListenAddress("xend-relocation-address", t); },
  "xend-relocation-hosts-allow": (c, t) => { c.relocationHostsAllow = regexes(checkText("xend-relocation-hosts-allow", t)); },
  "vnc-listen": (c, t) => { c.vncListen = checkListenAddress("vnc-listen", t); },
  vncpasswd: (c, t) => { c.vncPasswd = checkText("vncpasswd", t); },
  keymap: (c, t) => { c.keymap = parseKeymap(t); },
  "dom0-min-mem": (c, t) => { c.dom0MinMem = count("dom0-min-mem", t, 0, 1 << 20); },
  "dom0-cpus": (c, t) => { c.dom0Cpus = count("dom0-cpus", t, 0, 256); },
  "enable-dom0-ballooning": (c, t) => { c.enableDom0Ballooning = yesNo("enable-dom0-ballooning", t); },
  "network-script": (c, t) => { c.networkScript = checkText("network-script", t); },
  "vif-script": (c, t) => { c.vifScript = nonEmpty("vif-script", t); },
  "xenstore-max-nodes-per-domain": (c, t) => { c.xenstore.maxNodesPerDomain = count("xenstore-max-nodes-per-domain", t, 1, 1 << 20); },
  "xenstore-max-watches": (c, t) => { c.xenstore.maxWatches = count("xenstore-max-watches", t, 1, 1 << 16); },
  "xenstore-max-node-size": (c, t) => { c.xenstore.maxNodeSize = count("xenstore-max-node-size", t, 1, 1 << 16); },
  "xenstore-max-transactions": (c, t) => { c.xenstore.maxTransactions = count("xenstore-max-transactions", t, 1, 1 << 10); },
  "xenstore-max-requests": (c, t) => { c.xenstore.maxRequests = count("xenstore-max-requests", t, 1, 1 << 16); },
};

function nonEmpty(key: string, text: string): string {
  if (text === "") throw new ValueError(`${key} is empty`);
  return checkText(key, text);
}

/** Parses the text of xend-config.sxp; `file` names it in errors. */
export function parseXendConfig(text: string, file: string): XendConfig {
  const config: Mutable = { ...XEND_DEFAULTS, xenstore: { ...XEND_DEFAULTS.xenstore } };
  function fail(where: Where, reason: string): never {
    throw new ConfigError(file, where.line, where.column, reason);
  }
  const seen = new Map<string, Where>();
  for (const node of readSxp(text, file)) {
    if (node.kind !== "list" || node.items[0]?.kind !== "atom") fail(node, "expected (NAME VALUE), e.g. (xend-relocation-port 8002)");
    const key = node.items[0].value;
    const set = Object.hasOwn(SETTERS, key) ? SETTERS[key] : undefined;
    if (set === undefined) fail(node.items[0], `unknown setting ${show(key)} (known: ${Object.keys(SETTERS).join(", ")})`);
    const before = seen.get(key);
    if (before !== undefined) fail(node, `${key} is already set at ${before.line}:${before.column}`);
    seen.set(key, node);
    const value: SxpNode | undefined = node.items[1];
    if (node.items.length > 2 || value?.kind === "list") fail(node.items[2] ?? node.items[1], `(${key} VALUE) takes one plain value`);
    // (network-script ) is how the shipped file says "none": an empty value.
    try {
      set(config, value === undefined ? "" : value.value);
    } catch (e) {
      if (e instanceof ValueError) fail(value ?? node, e.message);
      throw e;
    }
  }
  return config;
}

/** Reads DOMUS_HOME/xend-config.sxp; with no such file, every setting takes its default. */
export async function readXendConfig(home: string): Promise<XendConfig> {
  const file = join(home, "xend-config.sxp");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return XEND_DEFAULTS;
    throw e;
  }
  return parseXendConfig(text, file);
}

// A guest's configuration as xend holds it: the DomainConfig of tools/config (read from and
// written as SXP), plus its credit-scheduler settings, and how it becomes the kernel's DomainSpec.
// Weight and cap are written as Xen's (cpu_weight N) (cpu_cap N) entries of (domain …); the
// config reader does not know them, so they are taken out here before it reads the rest.

import { randomUUID } from "node:crypto";
import type { DomainSpec } from "../../kernel/public/protocol.js";
import { XENFB_HEIGHT, XENFB_WIDTH } from "../../kernel/public/xen/fbif.js";
import type { DomainState } from "../../kernel/public/protocol.js";
import type { XendDomain } from "../../kernel/public/xend-protocol.js";
import { parseDomainSxp, domainToSxp } from "../config/domain-sxp.js";
import type { DomainConfig } from "../config/domain.js";
import { printSxp, type Sxp } from "../config/sxp.js";
import { OPENSBI_FW_JUMP } from "../debian-firmware.js";
import type { LifecycleSettings } from "./lifecycle.js";
import { stateLetters } from "./state-letters.js";

export interface GuestConfig {
  readonly config: DomainConfig;
  readonly weight?: number;
  readonly cap?: number;
}

export interface ResourceChange {
  readonly memoryMiB?: number;
  readonly maxmemMiB?: number;
  readonly vcpus?: number;
  readonly pin?: { readonly vcpu: number | "all"; readonly cpus: readonly number[] };
  readonly weight?: number;
  readonly cap?: number;
}

const SCHED_ENTRY = /\(\s*cpu_(weight|cap)\s+(\d{1,9})\s*\)/g;

/**
 * Read a guest from SXP (`xm new -F`, a managed file, xend's records). The scheduler entries are
 * blanked out with spaces, not removed, so every other line and column in an error stays right.
 */
export function parseGuestSxp(text: string, source: string): GuestConfig {
  let weight: number | undefined;
  let cap: number | undefined;
  const rest = text.replace(SCHED_ENTRY, (whole, which: string, value: string) => {
    if (which === "weight") weight = Number(value);
    else cap = Number(value);
    return whole.replace(/[^\n]/g, " ");
  });
  const config = parseDomainSxp(rest, source);
  return {
    config: config.uuid === undefined ? { ...config, uuid: randomUUID() } : config,
    ...(weight === undefined ? {} : { weight }),
    ...(cap === undefined ? {} : { cap }),
  };
}

function configSxp(g: GuestConfig): Sxp[] {
  const top = [...(domainToSxp(g.config) as Sxp[])];
  if (g.weight !== undefined) top.push(["cpu_weight", String(g.weight)]);
  if (g.cap !== undefined) top.push(["cpu_cap", String(g.cap)]);
  return top;
}

/** The configuration alone, as stored in DOMUS_HOME/domains/NAME.sxp. */
export function guestSxp(g: GuestConfig): string {
  return printSxp(configSxp(g));
}

/**
 * `xm list -l`: the configuration (if xend knows it) and the domain's current state, in the
 * manual's layout: (domain (domid N) … (start_time …) (cpu_time …) (online_vcpus N) (state …)).
 */
export function domainSxp(g: GuestConfig | undefined, d: XendDomain, vncLocation?: string): string {
  const body: Sxp[] = g !== undefined ? configSxp(g).slice(1) : [
    ["name", d.name], ["memory", String(d.memoryMiB)], ["maxmem", String(d.maxmemMiB)], ["vcpus", String(d.vcpus)],
  ];
  if (vncLocation !== undefined) body.forEach((entry, i) => { body[i] = withLocation(entry, vncLocation); });
  const runtime: Sxp[] = [];
  if (d.domid !== null) runtime.push(["domid", String(d.domid)]);
  const tail: Sxp[] = [];
  if (g === undefined || g.weight === undefined) tail.push(["cpu_weight", String(d.weight)]);
  if (g === undefined || g.cap === undefined) tail.push(["cpu_cap", String(d.cap)]);
  if (d.startTime !== null) tail.push(["start_time", d.startTime.toFixed(2)]);
  tail.push(["cpu_time", d.cpuTimeS.toFixed(9)]);
  if (d.state !== null) {
    tail.push(["online_vcpus", String(d.online.length)]);
    tail.push(["state", stateLetters(d.state as DomainState)]);
  }
  return printSxp(["domain", ...runtime, ...body, ...tail]);
}

/**
 * A running domain's (device (vfb …)) says where its VNC server is, as Xen's xend records it:
 * (location HOST:PORT) in place of vnclisten and vncdisplay (manual §6.4.1).
 */
function withLocation(entry: Sxp, location: string): Sxp {
  if (!Array.isArray(entry) || entry[0] !== "device" || !Array.isArray(entry[1]) || entry[1][0] !== "vfb") return entry;
  const pairs = entry[1].slice(1).filter((p) => !(Array.isArray(p) && (p[0] === "vnclisten" || p[0] === "vncdisplay")));
  return ["device", ["vfb", ...pairs, ["location", location]]];
}

export function lifecycleOf(g: GuestConfig): LifecycleSettings {
  return { onPoweroff: g.config.onPoweroff, onReboot: g.config.onReboot, onCrash: g.config.onCrash };
}

/** What the kernel runs; devices are plugged in through the store afterwards (vbd.ts). */
export function kernelSpec(g: GuestConfig): DomainSpec {
  const c = g.config;
  const bios = c.bios === "none" ? null : c.bios ?? (c.builder === "hvm" ? OPENSBI_FW_JUMP : null);
  return {
    name: c.name,
    ...(c.uuid === undefined ? {} : { uuid: c.uuid }),
    builder: c.builder,
    memoryMiB: c.memory,
    maxmemMiB: c.maxmem,
    vcpus: c.vcpus,
    cpus: c.cpus ?? [],
    bios,
    ...(c.kernel === undefined ? {} : { kernel: c.kernel }),
    ...(c.ramdisk === undefined ? {} : { ramdisk: c.ramdisk }),
    ...(c.extra === undefined ? {} : { extra: c.extra }),
    // An HVM guest with a VNC screen gets a simple framebuffer of Xen's default size.
    ...(c.builder === "hvm" && c.vfb.some((v) => v.type === "vnc") ? { framebuffer: { width: XENFB_WIDTH, height: XENFB_HEIGHT } } : {}),
  };
}

/** Apply an xm mem-*, vcpu-* or sched-credit change, checking it against the other settings. */
export function withResources(g: GuestConfig, change: ResourceChange): GuestConfig {
  const c = g.config;
  const maxmem = change.maxmemMiB ?? c.maxmem;
  const memory = change.memoryMiB ?? Math.min(c.memory, maxmem);
  if (memory > maxmem) throw new Error(`memory ${memory} MiB is above the domain's maximum of ${maxmem} MiB; raise it first with \`xm mem-max ${c.name} ${memory}\``);
  let cpus = c.cpus;
  if (change.pin !== undefined) {
    if (change.pin.vcpu !== "all" && c.vcpus > 1) {
      throw new Error(`Domus pins all vCPUs of a domain alike; use \`xm vcpu-pin ${c.name} all CPUS\``);
    }
    if (change.pin.vcpu !== "all" && change.pin.vcpu >= c.vcpus) {
      throw new Error(`domain '${c.name}' has no vCPU ${change.pin.vcpu} (it has ${c.vcpus})`);
    }
    cpus = change.pin.cpus;
  }
  const next: DomainConfig = { ...c, memory, maxmem, vcpus: change.vcpus ?? c.vcpus, ...(cpus === undefined ? {} : { cpus }) };
  return {
    config: next,
    ...(change.weight ?? g.weight) === undefined ? {} : { weight: change.weight ?? g.weight },
    ...(change.cap ?? g.cap) === undefined ? {} : { cap: change.cap ?? g.cap },
  };
}

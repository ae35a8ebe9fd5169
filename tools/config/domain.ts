// What a domain's configuration is, whichever file it came from: the settings of the manual's
// initial startup files (Table 6.1 and the chapters on disks, networks, VNC and lifecycle), their
// defaults and the checks that span several settings. domain-config.ts reads and writes startup
// files, domain-sxp.ts the SXP of `xm list -l` / `xm new -F`; both end here.

import { ValueError, show, type Where } from "./config-error.js";
import { parseCpus, formatCpus } from "./cpus.js";
import type { DiskSpec } from "./disk.js";
import { parseKeymap, type Keymap } from "./keymap.js";
import { checkText, checkWord } from "./names.js";
import { formatPci, type PciAddress } from "./pci.js";
import type { VfbSpec } from "./vfb.js";
import type { VifSpec } from "./vif.js";
import { vdevToNumber } from "./vdev.js";

/** 'linux' is the manual's paravirtual mode, 'hvm' full virtualization (Table 6.1, builder). */
export type Builder = "linux" | "hvm";
/** What to do when the guest powers off, reboots or crashes (on_poweroff, on_reboot, on_crash). */
export type LifecycleAction = "destroy" | "restart" | "preserve" | "rename-restart";
/** What xend does with the domain when xend starts (manual §4.5). */
export type XendStartAction = "ignore" | "start";
/** What xend does with the domain when xend stops (manual §4.5). */
export type XendStopAction = "ignore" | "shutdown" | "suspend";

export interface DomainConfig {
  readonly name: string;
  /** Lower-case canonical form; one is assigned when the domain is created if absent. */
  readonly uuid?: string;
  /** MiB (the manual's "Mb"). */
  readonly memory: number;
  /** MiB; the most the balloon may give the domain. */
  readonly maxmem: number;
  readonly vcpus: number;
  /** Physical CPUs the vCPUs may run on; any when absent. */
  readonly cpus?: readonly number[];
  readonly builder: Builder;
  readonly kernel?: string;
  readonly ramdisk?: string;
  /** The kernel command line (Table 6.1: "Parameters passed to the kernel"). */
  readonly extra?: string;
  /** M-mode firmware of an hvm domain, or "none". */
  readonly bios?: string;
  /** A program in the host that finds the kernel inside the guest's disk (Table 6.1). */
  readonly bootloader?: string;
  readonly bootargs?: string;
  /** The manual's "location of the kernel and initial ramdisk" for the boot loader (Table 6.1). */
  readonly bootentry?: string;
  readonly ostype?: string;
  readonly onPoweroff: LifecycleAction;
  readonly onReboot: LifecycleAction;
  readonly onCrash: LifecycleAction;
  readonly onXendStart: XendStartAction;
  readonly onXendStop: XendStopAction;
  /** The guest's clock keeps local time rather than UTC (Xen's localtime = 1). */
  readonly localtime: boolean;
  readonly keymap?: Keymap;
  /** hvm only: show the console on VNC / in an SDL window (manual §6.4.2). */
  readonly vnc?: boolean;
  readonly sdl?: boolean;
  readonly disk: readonly DiskSpec[];
  readonly vif: readonly VifSpec[];
  readonly vfb: readonly VfbSpec[];
  readonly pci: readonly PciAddress[];
}

export type ScalarKind = "int" | "string";

/** The startup-file keys that hold one value, in the order writers put them. */
export const SCALAR_KEYS = {
  name: "string", uuid: "string", memory: "int", maxmem: "int", vcpus: "int", cpus: "string",
  builder: "string", kernel: "string", ramdisk: "string", extra: "string", bios: "string",
  bootloader: "string", bootargs: "string", bootentry: "string", ostype: "string",
  on_poweroff: "string", on_reboot: "string", on_crash: "string", on_xend_start: "string", on_xend_stop: "string",
  localtime: "int", keymap: "string", vnc: "int", sdl: "int",
} as const satisfies Record<string, ScalarKind>;
export type ScalarKey = keyof typeof SCALAR_KEYS;

/** The startup-file keys that hold a list of entries. */
export const LIST_KEYS = ["disk", "vif", "vfb", "pci"] as const;
export type ListKey = (typeof LIST_KEYS)[number];

export function isScalarKey(key: string): key is ScalarKey {
  return Object.hasOwn(SCALAR_KEYS, key);
}
export function isListKey(key: string): key is ListKey {
  return (LIST_KEYS as readonly string[]).includes(key);
}

/** Defaults where the manual or Xen's xm states them (see README.md for the sources). */
export const DOMAIN_DEFAULTS = {
  memory: 128, vcpus: 1, builder: "linux", onPoweroff: "destroy", onReboot: "restart", onCrash: "restart",
  onXendStart: "ignore", onXendStop: "ignore", localtime: false,
} as const;

/** The manual: "You can specify up to 32 virtual CPUs" (§3.2). */
export const MAX_VCPUS = 32;
/** Largest memory or maxmem accepted, in MiB (1 TiB). */
export const MAX_MEMORY_MIB = 1 << 20;
/** The manual: up to 100 block devices for a paravirtual machine (§6.2.1), eight NICs (§5.2). */
export const MAX_DISKS = 100;
export const MAX_VIFS = 8;
/** Xen gives a domain one framebuffer. */
export const MAX_VFBS = 1;

export interface Located<T> {
  readonly value: T;
  readonly where: Where;
}

/** A domain's settings as a reader found them: scalars still as text, list entries parsed. */
export interface DomainInput {
  readonly scalars: ReadonlyMap<ScalarKey, Located<string>>;
  readonly disk: readonly Located<DiskSpec>[];
  readonly vif: readonly Located<VifSpec>[];
  readonly vfb: readonly Located<VfbSpec>[];
  readonly pci: readonly Located<PciAddress>[];
}

/** Reports a problem at a place; the reader turns it into its ConfigError. */
export type Fail = (where: Where, reason: string) => never;

function oneOf<T extends string>(key: string, text: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === text);
  if (found === undefined) throw new ValueError(`${key} ${show(text)} is not one of ${allowed.join(", ")}`);
  return found;
}

function wholeNumber(key: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d{1,15}$/.test(text) || n < min || n > max) throw new ValueError(`${key} ${show(text)} is not a whole number from ${min} to ${max}`);
  return n;
}

function flag(key: string, text: string): boolean {
  if (text !== "0" && text !== "1") throw new ValueError(`${key} ${show(text)} is not 0 or 1`);
  return text === "1";
}

function domainName(text: string): string {
  checkWord("name", text);
  // xm reads a number as a domain id, and Domain-0 is the control domain's name.
  if (/^\d+$/.test(text)) throw new ValueError(`name ${show(text)} is a number; xm would take it for a domain id`);
  if (text === "Domain-0") throw new ValueError("name Domain-0 is reserved for the control domain");
  return text;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const LIFECYCLE = ["destroy", "restart", "preserve", "rename-restart"] as const;

const PARSERS = {
  name: domainName,
  uuid: (t: string) => {
    if (!UUID.test(t)) throw new ValueError(`uuid ${show(t)} is not a UUID like aa6969f3-8012-24f0-1e3a-35f150001950`);
    return t.toLowerCase();
  },
  memory: (t: string) => wholeNumber("memory", t, 1, MAX_MEMORY_MIB),
  maxmem: (t: string) => wholeNumber("maxmem", t, 1, MAX_MEMORY_MIB),
  vcpus: (t: string) => wholeNumber("vcpus", t, 1, MAX_VCPUS),
  cpus: parseCpus,
  builder: (t: string) => oneOf("builder", t, ["linux", "hvm"] as const),
  kernel: (t: string) => optionalText("kernel", t),
  ramdisk: (t: string) => optionalText("ramdisk", t),
  extra: (t: string) => optionalText("extra", t),
  bios: (t: string) => optionalText("bios", t),
  bootloader: (t: string) => optionalText("bootloader", t),
  bootargs: (t: string) => optionalText("bootargs", t),
  bootentry: (t: string) => optionalText("bootentry", t),
  ostype: (t: string) => optionalText("ostype", t),
  on_poweroff: (t: string) => oneOf("on_poweroff", t, LIFECYCLE),
  on_reboot: (t: string) => oneOf("on_reboot", t, LIFECYCLE),
  on_crash: (t: string) => oneOf("on_crash", t, LIFECYCLE),
  on_xend_start: (t: string) => oneOf("on_xend_start", t, ["ignore", "start"] as const),
  on_xend_stop: (t: string) => oneOf("on_xend_stop", t, ["ignore", "shutdown", "suspend"] as const),
  localtime: (t: string) => flag("localtime", t),
  keymap: parseKeymap,
  vnc: (t: string) => flag("vnc", t),
  sdl: (t: string) => flag("sdl", t),
} satisfies Record<ScalarKey, (text: string) => unknown>;

type Parsed = { [K in ScalarKey]?: ReturnType<(typeof PARSERS)[K]> };

// An empty text value means "not set", as Xen's ramdisk = '' does.
function optionalText(key: string, text: string): string | undefined {
  return text === "" ? undefined : checkText(key, text);
}

/** Checks every setting and the rules between them, and fills in the defaults. */
export function assembleDomain(input: DomainInput, whole: Where, fail: Fail): DomainConfig {
  // Settings are checked in the order they were read, so of two bad ones the earlier is reported.
  const parsed: Parsed = {};
  for (const [key, { value, where }] of input.scalars) {
    try {
      Object.assign(parsed, { [key]: PARSERS[key](value) });
    } catch (e) {
      if (e instanceof ValueError) fail(where, e.message);
      throw e;
    }
  }
  const where = (key: ScalarKey): Where => input.scalars.get(key)?.where ?? whole;

  const name = parsed.name;
  if (name === undefined) fail(whole, "name is required (name = 'vm1')");
  const memory = parsed.memory ?? DOMAIN_DEFAULTS.memory;
  const maxmem = parsed.maxmem ?? memory;
  if (maxmem < memory) fail(where("maxmem"), `maxmem ${maxmem} is less than memory ${memory}`);
  const builder = parsed.builder ?? DOMAIN_DEFAULTS.builder;

  const config = {
    name,
    uuid: parsed.uuid,
    memory,
    maxmem,
    vcpus: parsed.vcpus ?? DOMAIN_DEFAULTS.vcpus,
    cpus: parsed.cpus,
    builder,
    kernel: parsed.kernel,
    ramdisk: parsed.ramdisk,
    extra: parsed.extra,
    bios: parsed.bios,
    bootloader: parsed.bootloader,
    bootargs: parsed.bootargs,
    bootentry: parsed.bootentry,
    ostype: parsed.ostype,
    onPoweroff: parsed.on_poweroff ?? DOMAIN_DEFAULTS.onPoweroff,
    onReboot: parsed.on_reboot ?? DOMAIN_DEFAULTS.onReboot,
    onCrash: parsed.on_crash ?? DOMAIN_DEFAULTS.onCrash,
    onXendStart: parsed.on_xend_start ?? DOMAIN_DEFAULTS.onXendStart,
    onXendStop: parsed.on_xend_stop ?? DOMAIN_DEFAULTS.onXendStop,
    localtime: parsed.localtime ?? DOMAIN_DEFAULTS.localtime,
    keymap: parsed.keymap,
    vnc: parsed.vnc,
    sdl: parsed.sdl,
    disk: input.disk.map((d) => d.value),
    vif: input.vif.map((v) => v.value),
    vfb: input.vfb.map((v) => v.value),
    pci: input.pci.map((p) => p.value),
  };

  if (builder === "linux") {
    for (const key of ["bios", "vnc", "sdl"] as const) {
      if (config[key] !== undefined) fail(where(key), `${key} applies only to builder = 'hvm'; a paravirtual domain uses ${key === "bios" ? "kernel" : "vfb"}`);
    }
    if (config.kernel === undefined && config.bootloader === undefined) {
      fail(where("builder"), "a paravirtual (builder = 'linux') domain needs kernel = '…' or bootloader = '…'");
    }
  }
  for (const key of ["bootargs", "bootentry"] as const) {
    if (config[key] !== undefined && config.bootloader === undefined) fail(where(key), `${key} is for the boot loader; set bootloader too`);
  }
  checkList(input.disk, MAX_DISKS, "disks", (d) => String(vdevToNumber(d.vdev)), (d) => `device ${d.vdev}`, fail);
  checkList(input.vif, MAX_VIFS, "network interfaces", (v) => v.mac, (v) => `MAC address ${v.mac}`, fail);
  checkList(input.vfb, MAX_VFBS, "framebuffers", () => undefined, () => "", fail);
  checkList(input.pci, Infinity, "PCI devices", formatPci, (p) => `PCI device ${formatPci(p)}`, fail);

  // Leave out what is unset, so that equal configurations compare equal however they were read.
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as unknown as DomainConfig;
}

// Refuses too many entries, and two entries that claim the same thing (the same device, MAC…).
function checkList<T>(
  items: readonly Located<T>[], max: number, what: string,
  identity: (item: T) => string | undefined, describe: (item: T) => string, fail: Fail,
): void {
  const seen = new Map<string, Where>();
  items.forEach((item, i) => {
    if (i === max) fail(item.where, `a domain can have at most ${max} ${what}`);
    const id = identity(item.value);
    if (id === undefined) return;
    const before = seen.get(id);
    if (before !== undefined) fail(item.where, `${describe(item.value)} is already used on line ${before.line}`);
    seen.set(id, item.where);
  });
}

/** A domain's scalar settings as startup-file keys and values, in SCALAR_KEYS order; unset ones left out. */
export function domainScalars(config: DomainConfig): [ScalarKey, string | number][] {
  const values: Record<ScalarKey, string | number | undefined> = {
    name: config.name, uuid: config.uuid, memory: config.memory, maxmem: config.maxmem, vcpus: config.vcpus,
    cpus: config.cpus === undefined ? undefined : formatCpus(config.cpus),
    builder: config.builder, kernel: config.kernel, ramdisk: config.ramdisk, extra: config.extra, bios: config.bios,
    bootloader: config.bootloader, bootargs: config.bootargs, bootentry: config.bootentry, ostype: config.ostype,
    on_poweroff: config.onPoweroff, on_reboot: config.onReboot, on_crash: config.onCrash,
    on_xend_start: config.onXendStart, on_xend_stop: config.onXendStop,
    localtime: config.localtime ? 1 : 0, keymap: config.keymap,
    vnc: config.vnc === undefined ? undefined : config.vnc ? 1 : 0,
    sdl: config.sdl === undefined ? undefined : config.sdl ? 1 : 0,
  };
  return (Object.keys(SCALAR_KEYS) as ScalarKey[]).flatMap((k) => {
    const v = values[k];
    return v === undefined ? [] : [[k, v] as [ScalarKey, string | number]];
  });
}

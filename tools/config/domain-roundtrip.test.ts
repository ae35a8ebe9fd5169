// Generated valid configurations survive every way of writing them down: the entries of disk=,
// vif= and vfb=, whole startup files, SXP, and one format into the other.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseDiskEntry, formatDiskEntry, DISK_TYPES, type DiskSpec } from "./disk.js";
import { parseDomainConfig, formatDomainConfig } from "./domain-config.js";
import { parseDomainSxp, formatDomainSxp } from "./domain-sxp.js";
import type { DomainConfig } from "./domain.js";
import { KEYMAPS } from "./keymap.js";
import { formatMac } from "./mac.js";
import { parseVfbEntry, formatVfbEntry, type VfbSpec } from "./vfb.js";
import { parseVifEntry, formatVifEntry, NIC_MODELS, VIF_TYPES, type VifSpec } from "./vif.js";
import { validRate } from "./rate.js";
import { formatVdev, vdevToNumber } from "./vdev.js";

/** Drops unset properties, as the parsers leave them out. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
// Printable text, with quotes, backslashes and non-ASCII to exercise the writers' escaping.
const text = fc.string({ minLength: 1, maxLength: 30, unit: fc.oneof(fc.constantFrom("'", '"', "\\", "é", "€", "#", "(", ")", " "), fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })) })
  .filter((t) => !/[\u0000-\u001f\u007f]/.test(t));
const word = fc.stringMatching(/^[A-Za-z0-9_.:+-]{1,20}$/).filter((w) => w !== "0");
const path = fc.stringMatching(/^\/[A-Za-z0-9_./ é-]{0,30}$/);

const diskSpec: fc.Arbitrary<DiskSpec> = fc
  .record({
    type: fc.constantFrom(...DISK_TYPES),
    path,
    nbd: fc.tuple(fc.stringMatching(/^[a-z0-9.-]{1,20}$/), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`),
    vdev: fc.oneof(
      fc.record({ kind: fc.constant("xvd" as const), disk: fc.integer({ min: 0, max: 2000 }), partition: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("hd" as const), disk: fc.integer({ min: 0, max: 3 }), partition: fc.integer({ min: 0, max: 63 }) }),
      fc.record({ kind: fc.constant("sd" as const), disk: fc.integer({ min: 0, max: 15 }), partition: fc.integer({ min: 0, max: 15 }) }),
    ).map(formatVdev),
    cdrom: fc.boolean(),
    mode: fc.constantFrom("r" as const, "w" as const, "w!" as const),
    backend: opt(word),
  })
  .map(({ type, path, nbd, vdev, cdrom, mode, backend }) => defined<DiskSpec>({
    type, path: type === "nbd" ? nbd : path, vdev, devtype: cdrom ? "cdrom" : "disk", mode: cdrom ? "r" : mode, backend,
  }));

const mac = fc.tuple(fc.integer({ min: 0, max: 127 }).map((b) => b * 2), ...Array.from({ length: 5 }, () => fc.integer({ min: 0, max: 255 }))).map(formatMac);
const ipv4 = fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 }))).map((a) => a.join("."));

// A window, then a rate that gives from 1 to 2^32 - 1 bytes per window (the limits of rate.ts).
const rate = fc.integer({ min: 1, max: 2 ** 32 - 1 }).chain((windowUs) =>
  fc.integer({ min: Math.ceil(1e6 / windowUs), max: Math.min(2 ** 40, Math.floor((0xffffffff * 1e6) / windowUs)) })
    .map((bytesPerSecond) => ({ bytesPerSecond, windowUs }))).filter(validRate);

const vifSpec: fc.Arbitrary<VifSpec> = fc
  .record({
    mac: opt(mac),
    bridge: opt(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,15}$/)),
    ip: opt(fc.array(ipv4, { minLength: 1, maxLength: 3 }).map((a) => a.join(" "))),
    script: opt(fc.stringMatching(/^[A-Za-z0-9_./-]{1,20}$/)),
    type: opt(fc.constantFrom(...VIF_TYPES)),
    model: opt(fc.constantFrom(...NIC_MODELS)),
    rate: opt(rate),
    backend: opt(word),
  })
  .map(defined);

const vfbSpec: fc.Arbitrary<VfbSpec> = fc.oneof(
  fc.record({
    type: fc.constant("vnc" as const),
    vnclisten: opt(fc.oneof(ipv4, fc.constantFrom("localhost", "::1", "0.0.0.0"))),
    vncdisplay: opt(fc.integer({ min: 0, max: 59635 })),
    vncunused: opt(fc.boolean()),
    vncpasswd: opt(fc.stringMatching(/^[A-Za-z0-9!$%&*+./:;<>?@^_~=-]{1,12}$/)),
    keymap: opt(fc.constantFrom(...KEYMAPS)),
  }).map(defined),
  fc.record({
    type: fc.constant("sdl" as const),
    display: opt(fc.constantFrom(":0", ":1.0", "host:0")),
    xauthority: opt(path.filter((p) => p === p.trim())), // entries are trimmed around each value, as in Xen
    keymap: opt(fc.constantFrom(...KEYMAPS)),
  }).map(defined),
);

const pci = fc.record({ domain: fc.integer({ min: 0, max: 0xffff }), bus: fc.integer({ min: 0, max: 0xff }), slot: fc.integer({ min: 0, max: 0x1f }), func: fc.integer({ min: 0, max: 7 }) });

// Entries that claim the same device or MAC are refused, so generate lists without such pairs.
const uniqueBy = <T>(arb: fc.Arbitrary<T>, key: (t: T) => string, max: number) => fc.uniqueArray(arb, { maxLength: max, selector: key });

const domainConfig: fc.Arbitrary<DomainConfig> = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z0-9_.:+-]{1,64}$/).filter((n) => !/^\d+$/.test(n) && n !== "Domain-0"),
    uuid: opt(fc.uuid()),
    memory: fc.integer({ min: 1, max: 1 << 20 }),
    extraMem: fc.integer({ min: 0, max: 1 << 20 }),
    vcpus: fc.integer({ min: 1, max: 32 }),
    cpus: opt(fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 10 }).map((c) => [...c].sort((a, b) => a - b))),
    builder: fc.constantFrom("linux" as const, "hvm" as const),
    kernel: opt(text), ramdisk: opt(text), extra: opt(text), bios: opt(text),
    bootloader: opt(text), bootargs: opt(text), bootentry: opt(text), ostype: opt(text),
    onPoweroff: fc.constantFrom("destroy" as const, "restart" as const, "preserve" as const, "rename-restart" as const),
    onReboot: fc.constantFrom("destroy" as const, "restart" as const, "preserve" as const, "rename-restart" as const),
    onCrash: fc.constantFrom("destroy" as const, "restart" as const, "preserve" as const, "rename-restart" as const),
    onXendStart: fc.constantFrom("ignore" as const, "start" as const),
    onXendStop: fc.constantFrom("ignore" as const, "shutdown" as const, "suspend" as const),
    localtime: fc.boolean(),
    keymap: opt(fc.constantFrom(...KEYMAPS)),
    vnc: opt(fc.boolean()), sdl: opt(fc.boolean()),
    disk: uniqueBy(diskSpec, (d) => String(vdevToNumber(d.vdev)), 6),
    vif: uniqueBy(vifSpec, (v) => v.mac ?? JSON.stringify(v), 8),
    vfb: fc.array(vfbSpec, { maxLength: 1 }),
    pci: uniqueBy(pci, (p) => `${p.domain}:${p.bus}:${p.slot}:${p.func}`, 3),
  })
  .map(({ extraMem, ...c }) => {
    const hvm = c.builder === "hvm";
    // The rules of domain.ts: paravirtual domains boot a kernel or a boot loader, and have no bios, vnc or sdl.
    const kernel = !hvm && c.kernel === undefined && c.bootloader === undefined ? "/boot/vmlinuz" : c.kernel;
    return defined<DomainConfig>({
      ...c, kernel, maxmem: c.memory + extraMem > 1 << 20 ? c.memory : c.memory + extraMem,
      bios: hvm ? c.bios : undefined, vnc: hvm ? c.vnc : undefined, sdl: hvm ? c.sdl : undefined,
      bootargs: c.bootloader === undefined ? undefined : c.bootargs, bootentry: c.bootloader === undefined ? undefined : c.bootentry,
    });
  });

describe("round trips", () => {
  it("disk entries: format → parse", () => {
    fc.assert(fc.property(diskSpec, (d) => {
      expect(parseDiskEntry(formatDiskEntry(d))).toEqual(d);
    }), { numRuns: 2000 });
  });

  it("vif entries: format → parse", () => {
    fc.assert(fc.property(vifSpec, (v) => {
      expect(parseVifEntry(formatVifEntry(v))).toEqual(v);
    }), { numRuns: 2000 });
  });

  it("vfb entries: format → parse", () => {
    fc.assert(fc.property(vfbSpec, (v) => {
      expect(parseVfbEntry(formatVfbEntry(v))).toEqual(v);
    }), { numRuns: 2000 });
  });

  it("startup files: format → parse gives the same configuration, and the same text again", () => {
    fc.assert(fc.property(domainConfig, (c) => {
      const text = formatDomainConfig(c);
      const back = parseDomainConfig(text, "vm");
      expect(back).toEqual(c);
      expect(formatDomainConfig(back)).toBe(text);
    }), { numRuns: 1000 });
  });

  it("SXP: format → parse gives the same configuration, and the same text again", () => {
    fc.assert(fc.property(domainConfig, (c) => {
      const text = formatDomainSxp(c);
      const back = parseDomainSxp(text, "vm.sxp");
      expect(back).toEqual(c);
      expect(formatDomainSxp(back)).toBe(text);
    }), { numRuns: 1000 });
  });

  it("startup file → SXP → startup file, as xm new then xm list -l do", () => {
    fc.assert(fc.property(domainConfig, (c) => {
      const viaSxp = parseDomainSxp(formatDomainSxp(parseDomainConfig(formatDomainConfig(c), "vm")), "vm.sxp");
      expect(formatDomainConfig(viaSxp)).toBe(formatDomainConfig(c));
    }), { numRuns: 500 });
  });
});

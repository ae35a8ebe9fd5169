// A DomainConfig as SXP, the form xend keeps managed domains in, `xm list -l` prints and
// `xm new -F` reads back (manual §4.3):
//
//   (domain
//       (name sles11)
//       (memory 512)
//       …
//       (image (linux (kernel /boot/vmlinuz) (ramdisk /boot/initrd) (args 'root=/dev/xvda2')))
//       (device (vbd (uname file:/var/lib/xen/images/sles11/disk0) (dev xvda) (mode w)))
//       (device (vif (mac 00:16:3e:4f:94:a9) (bridge br0) (rate 100Mb/s@20ms)))
//   )
//
// Output of `xm list -l` for a running domain also carries its state (domid, start_time…); the
// reader accepts and drops those, so the manual's edit-and-reimport procedure works.

import { ConfigError, ValueError, show, type Where } from "./config-error.js";
import { diskFromParts, formatDiskDev, formatUname, type DiskSpec } from "./disk.js";
import {
  assembleDomain, domainScalars, type DomainConfig, type Located, type ScalarKey,
} from "./domain.js";
import { pciFromNumbers, type PciAddress } from "./pci.js";
import { readSxp, printSxp, type Sxp, type SxpNode } from "./sxp.js";
import { vfbFromPairs, vfbPairs, VNC_BASE_PORT, checkListenAddress, type VfbSpec } from "./vfb.js";
import { vifFromPairs, vifPairs, type VifSpec } from "./vif.js";
import type { Pair } from "./pairs.js";

/** Settings kept at the top of (domain …), by their SXP names; the rest go in (image (BUILDER …)). */
const DOMAIN_LEVEL: Partial<Record<ScalarKey, string>> = {
  name: "name", uuid: "uuid", memory: "memory", maxmem: "maxmem", vcpus: "vcpus",
  on_poweroff: "on_poweroff", on_reboot: "on_reboot", on_crash: "on_crash",
  on_xend_start: "on_xend_start", on_xend_stop: "on_xend_stop",
  bootloader: "bootloader", bootargs: "bootloader_args", bootentry: "bootentry", ostype: "ostype",
};
const IMAGE_LEVEL: Partial<Record<ScalarKey, string>> = {
  kernel: "kernel", ramdisk: "ramdisk", extra: "args", bios: "loader",
  vnc: "vnc", sdl: "sdl", localtime: "localtime", keymap: "keymap",
};

/** State of a running domain that `xm list -l` prints and a configuration does not hold. */
const RUNTIME = new Set(["domid", "start_time", "cpu_time", "online_vcpus", "status", "state"]);
/** Xen settings Domus does not have; accepted only with the value meaning "not used". */
const UNUSED: Record<string, string> = { shadow_memory: "0", features: "" };
/** Identifiers xend gives each device; a device read back gets new ones. */
const DEVICE_IDS = new Set(["uuid", "devid"]);

/** The SXP of a domain (as a value; printSxp lays it out). */
export function domainToSxp(config: DomainConfig): Sxp {
  const top: Sxp[] = ["domain"];
  const image: Sxp[] = [config.builder];
  for (const [key, value] of domainScalars(config)) {
    const text = String(value);
    const domainName = DOMAIN_LEVEL[key];
    const imageName = IMAGE_LEVEL[key];
    if (domainName !== undefined) top.push([domainName, text]);
    else if (imageName !== undefined) image.push([imageName, text]);
  }
  // Xen lists the pCPUs of each vCPU; Domus pins all of a domain's vCPUs alike.
  const perVcpu = (config.cpus ?? []).map(String);
  top.push(["cpus", Array.from({ length: config.vcpus }, () => perVcpu)]);
  top.push(["image", image]);
  for (const d of config.disk) {
    const vbd: Sxp[] = ["vbd", ["uname", formatUname(d)], ["dev", formatDiskDev(d)], ["mode", d.mode]];
    if (d.backend !== undefined) vbd.push(["backend", d.backend]);
    top.push(["device", vbd]);
  }
  for (const v of config.vif) top.push(["device", ["vif", ...vifPairs(v)]]);
  for (const v of config.vfb) top.push(["device", ["vfb", ...vfbPairs(v)]]);
  if (config.pci.length > 0) {
    const hex = (n: number) => `0x${n.toString(16)}`;
    const devs = config.pci.map((p): Sxp => ["dev", ["domain", hex(p.domain)], ["bus", hex(p.bus)], ["slot", hex(p.slot)], ["func", hex(p.func)], ["vslt", "0x0"]]);
    top.push(["device", ["pci", ...devs]]);
  }
  return top;
}

/** Prints a domain as `xm list -l` does. */
export function formatDomainSxp(config: DomainConfig): string {
  return printSxp(domainToSxp(config));
}

/** Reads a domain from SXP text such as `xm list -l NAME` prints; `file` names it in errors. */
export function parseDomainSxp(text: string, file: string): DomainConfig {
  const nodes = readSxp(text, file);
  function fail(where: Where, reason: string): never {
    throw new ConfigError(file, where.line, where.column, reason);
  }
  if (nodes.length !== 1) fail(nodes[1] ?? { line: 1, column: 1 }, "expected one (domain …) expression");
  const domain = nodes[0];
  if (domain.kind !== "list" || head(domain) !== "domain") fail(domain, "expected (domain …)");
  return new DomainReader(fail).read(domain);
}

function head(node: SxpNode): string | undefined {
  return node.kind === "list" && node.items[0]?.kind === "atom" ? node.items[0].value : undefined;
}

type ListNode = Extract<SxpNode, { kind: "list" }>;

class DomainReader {
  private readonly scalars = new Map<ScalarKey, Located<string>>();
  private readonly disk: Located<DiskSpec>[] = [];
  private readonly vif: Located<VifSpec>[] = [];
  private readonly vfb: Located<VfbSpec>[] = [];
  private readonly pci: Located<PciAddress>[] = [];
  private readonly seen = new Map<string, Where>();

  constructor(private readonly fail: (where: Where, reason: string) => never) {}

  read(domain: ListNode): DomainConfig {
    for (const child of domain.items.slice(1)) this.entry(child);
    return assembleDomain({ scalars: this.scalars, disk: this.disk, vif: this.vif, vfb: this.vfb, pci: this.pci }, domain, this.fail);
  }

  private entry(node: SxpNode): void {
    const key = head(node);
    if (key === undefined || node.kind !== "list") return this.fail(node, "expected (NAME VALUE) inside (domain …)");
    if (key === "device") return this.device(node);
    if (RUNTIME.has(key)) return;
    const name = (Object.keys(DOMAIN_LEVEL) as ScalarKey[]).find((k) => DOMAIN_LEVEL[k] === key);
    if (name === undefined && key !== "image" && key !== "cpus" && !Object.hasOwn(UNUSED, key)) {
      const known = [...Object.values(DOMAIN_LEVEL), "cpus", "image", "device"].join(", ");
      return this.fail(node, `unknown setting ${show(key)} in (domain …) (known: ${known})`);
    }
    this.once(key, node);
    if (key === "image") return this.image(node);
    if (key === "cpus") return this.cpusEntry(node);
    if (name !== undefined) return void this.scalars.set(name, this.value(node));
    const value = this.value(node);
    if (value.value !== UNUSED[key]) this.fail(value.where, `${key} is not supported; leave it as (${key} ${UNUSED[key]})`);
  }

  private once(key: string, node: SxpNode): void {
    const before = this.seen.get(key);
    if (before !== undefined) this.fail(node, `(${key} …) is already given at ${before.line}:${before.column}`);
    this.seen.set(key, node);
  }

  // (key value), or (key) for an empty value, which is how Xen prints one.
  private value(node: ListNode): Located<string> {
    const [, value, extra] = node.items;
    if (extra !== undefined || value?.kind === "list") this.fail(extra ?? value, `(${head(node)} VALUE) takes one plain value`);
    return value === undefined ? { value: "", where: node } : { value: value.value, where: value };
  }

  private cpusEntry(node: ListNode): void {
    const [, value, extra] = node.items;
    if (value === undefined || extra !== undefined) this.fail(node, "expected (cpus ((CPU …) …)) or (cpus '0-3,^2')");
    if (value.kind === "atom") {
      this.scalars.set("cpus", { value: value.value, where: value });
      return;
    }
    // One list of pCPUs per vCPU, as Xen prints them; all must be alike.
    const lists = value.items.map((l) => {
      if (l.kind !== "list" || l.items.some((c) => c.kind !== "atom")) this.fail(l, "each vCPU's CPUs are a list like (0 1 2)");
      return l.items.map((c) => (c.kind === "atom" ? c.value : "")).join(",");
    });
    const first = lists[0] ?? "";
    if (lists.some((l) => l !== first)) this.fail(value, "all vCPUs of a domain must be allowed the same CPUs");
    if (first !== "") this.scalars.set("cpus", { value: first, where: value });
  }

  private image(node: ListNode): void {
    const [, kind, extra] = node.items;
    const builder = kind === undefined ? undefined : head(kind);
    if (kind?.kind !== "list" || extra !== undefined || (builder !== "linux" && builder !== "hvm")) {
      return this.fail(kind ?? node, "expected (image (linux …)) or (image (hvm …))");
    }
    this.scalars.set("builder", { value: builder, where: kind.items[0] });
    const seen = new Set<string>();
    for (const child of kind.items.slice(1)) {
      const key = head(child);
      const name = (Object.keys(IMAGE_LEVEL) as ScalarKey[]).find((k) => IMAGE_LEVEL[k] === key);
      if (name === undefined || child.kind !== "list") {
        return this.fail(child, `unknown setting ${show(key ?? "")} in (image (${builder} …)) (known: ${Object.values(IMAGE_LEVEL).join(", ")})`);
      }
      if (seen.has(name)) this.fail(child, `(${key} …) is given twice`);
      seen.add(name);
      this.scalars.set(name, this.value(child));
    }
  }

  private device(node: ListNode): void {
    const [, dev, extra] = node.items;
    if (dev?.kind !== "list" || extra !== undefined) return this.fail(node, "expected (device (vbd|vif|vfb|pci …))");
    const kind = head(dev);
    try {
      switch (kind) {
        case "vbd": return this.vbd(dev);
        case "vif": return void this.vif.push({ value: vifFromPairs(this.pairs(dev)), where: dev });
        case "vfb": return void this.vfb.push({ value: vfbFromPairs(this.vfbPairs(dev)), where: dev });
        case "pci": return this.pciDevices(dev);
        default: return this.fail(dev, `unknown device ${show(kind ?? "")} (known: vbd, vif, vfb, pci)`);
      }
    } catch (e) {
      if (e instanceof ValueError) this.fail(dev, e.message);
      throw e;
    }
  }

  // The (key value) children of a device, without the identifiers xend assigned.
  private pairs(dev: ListNode): Pair[] {
    return dev.items.slice(1).flatMap((child): Pair[] => {
      const key = head(child);
      if (key === undefined || child.kind !== "list") return this.fail(child, `expected (NAME VALUE) inside (${head(dev)} …)`);
      return DEVICE_IDS.has(key) ? [] : [[key, this.value(child).value]];
    });
  }

  // The settings of a device as a map, refusing repeated and unknown ones.
  private fields(dev: ListNode, known: readonly string[]): Map<string, string> {
    const fields = new Map<string, string>();
    for (const [key, value] of this.pairs(dev)) {
      if (!known.includes(key)) throw new ValueError(`${head(dev)}: unknown setting ${show(key)} (known: ${known.join(", ")})`);
      if (fields.has(key)) throw new ValueError(`${head(dev)}: ${key} is given twice`);
      fields.set(key, value);
    }
    return fields;
  }

  private vbd(dev: ListNode): void {
    const fields = this.fields(dev, ["uname", "dev", "mode", "type", "backend"]);
    const uname = fields.get("uname"), devname = fields.get("dev"), mode = fields.get("mode");
    if (uname === undefined || devname === undefined || mode === undefined) this.fail(dev, "a vbd needs (uname …), (dev …) and (mode …)");
    // (type cdrom) says the same as a :cdrom after the device name (manual Example 6.2 has both forms).
    const type = fields.get("type");
    if (type !== undefined && type !== "disk" && type !== "cdrom") this.fail(dev, `vbd type ${show(type)} is not disk or cdrom`);
    const spec = diskFromParts(uname, devname.includes(":") || type === undefined ? devname : `${devname}:${type}`, mode, fields.get("backend"));
    if (type !== undefined && spec.devtype !== type) this.fail(dev, `(dev ${devname}) and (type ${type}) disagree`);
    this.disk.push({ value: spec, where: dev });
  }

  // (location HOST:PORT) is how xend records a VNC server's address (manual §6.4.1).
  private vfbPairs(dev: ListNode): Pair[] {
    const pairs = this.pairs(dev);
    const location = pairs.find(([k]) => k === "location")?.[1];
    if (location === undefined) return pairs;
    if (pairs.some(([k]) => k === "vnclisten" || k === "vncdisplay")) throw new ValueError("vfb: give (location …) or (vnclisten …)/(vncdisplay …), not both");
    const colon = location.lastIndexOf(":");
    const port = Number(location.slice(colon + 1));
    if (colon < 1 || !/^\d{1,5}$/.test(location.slice(colon + 1)) || port < VNC_BASE_PORT || port > 65535) {
      throw new ValueError(`vfb: location ${show(location)} is not HOST:PORT with a port from ${VNC_BASE_PORT} to 65535`);
    }
    const listen = checkListenAddress("vfb location", location.slice(0, colon));
    return [...pairs.filter(([k]) => k !== "location"), ["vnclisten", listen], ["vncdisplay", String(port - VNC_BASE_PORT)]];
  }

  // (pci (dev (domain 0x0) (bus 0x06) (slot 0x01) (func 0x0) (vslt 0x0)) …), manual §2.5.2.
  private pciDevices(dev: ListNode): void {
    for (const d of dev.items.slice(1)) {
      if (head(d) !== "dev" || d.kind !== "list") this.fail(d, "expected (dev (domain …) (bus …) (slot …) (func …))");
      try {
        const fields = this.fields(d, ["domain", "bus", "slot", "func", "vslt"]);
        const number = (key: string, required: boolean): number => {
          const text = fields.get(key);
          if (text === undefined) {
            if (required) throw new ValueError(`pci: (${key} …) is missing`);
            return 0;
          }
          if (!/^(0x[0-9a-fA-F]{1,4}|\d{1,5})$/.test(text)) throw new ValueError(`pci: ${key} ${show(text)} is not a number like 0x06`);
          return Number(text);
        };
        if (number("vslt", false) !== 0) throw new ValueError("pci: choosing the guest's slot (vslt) is not supported; use (vslt 0x0)");
        const pci = pciFromNumbers(number("domain", false), number("bus", true), number("slot", true), number("func", true));
        this.pci.push({ value: pci, where: d });
      } catch (e) {
        if (e instanceof ValueError) this.fail(d, e.message);
        throw e;
      }
    }
  }
}

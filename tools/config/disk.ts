// `disk=` entries: 'file:/var/lib/xen/images/vm1/disk0,xvda,w' — where the data is (manual
// Table 6.3 and §6.10), the device the guest sees (optionally :cdrom) and the access mode.

import { ValueError, show } from "./config-error.js";
import { checkText, parseBackend } from "./names.js";
import { parseVdev, formatVdev } from "./vdev.js";

/** The kinds of storage Domus serves; the manual's iscsi: and npiv: need a SAN and are not among them. */
export const DISK_TYPES = ["file", "tap:aio", "tap:qcow", "tap:vmdk", "phy", "nbd"] as const;
export type DiskType = (typeof DISK_TYPES)[number];

/** r: read-only; w: read-write, used by one domain only; w!: read-write, sharing allowed. */
export type DiskMode = "r" | "w" | "w!";
export type DiskDevtype = "disk" | "cdrom";

export interface DiskSpec {
  readonly type: DiskType;
  readonly path: string;
  /** The guest's device name, e.g. xvda, hdc, xvdb1. */
  readonly vdev: string;
  readonly devtype: DiskDevtype;
  readonly mode: DiskMode;
  /** The blk instance serving it; undefined for the default one. */
  readonly backend?: string;
}

/** Splits a uname such as tap:aio:/path/file into its type and path. */
function parseUname(uname: string): { type: DiskType; path: string } {
  // Longest prefix first, so "tap:aio:" is not taken for an unknown "tap:".
  for (const type of [...DISK_TYPES].sort((a, b) => b.length - a.length)) {
    if (!uname.startsWith(`${type}:`)) continue;
    let path = checkText("disk path", uname.slice(type.length + 1));
    if (path === "") throw new ValueError(`disk ${show(uname)} has no path after "${type}:"`);
    // A comma would end the path in a disk= entry, so no path may hold one.
    if (path.includes(",")) throw new ValueError(`disk path ${show(path)} contains a comma`);
    if (type === "phy" && !path.startsWith("/")) path = `/dev/${path}`; // as Xen: phy:sdc is /dev/sdc
    if (type === "nbd") checkNbd(path);
    return { type, path };
  }
  const prefix = /^[a-z]+:/.exec(uname)?.[0];
  if (prefix === "iscsi:" || prefix === "npiv:") {
    throw new ValueError(`${prefix} disks are not supported (supported: ${DISK_TYPES.map((t) => `${t}:`).join(" ")})`);
  }
  throw new ValueError(`disk ${show(uname)} must start with one of ${DISK_TYPES.map((t) => `${t}:`).join(" ")}`);
}

// The manual writes an NBD disk as "nbd: ip_port"; Domus reads nbd:HOST:PORT.
function checkNbd(path: string): void {
  const colon = path.lastIndexOf(":");
  const port = Number(path.slice(colon + 1));
  if (colon < 1 || !/^[A-Za-z0-9.:[\]-]+$/.test(path.slice(0, colon)) || !/^\d{1,5}$/.test(path.slice(colon + 1)) || port < 1 || port > 65535) {
    throw new ValueError(`nbd disk ${show(path)} is not HOST:PORT (e.g. nbd:192.168.1.5:10809)`);
  }
}

export function formatUname(disk: Pick<DiskSpec, "type" | "path">): string {
  return `${disk.type}:${disk.path}`;
}

/** Parses the device part: xvda, hdc:cdrom, xvda:disk. */
function parseDiskDev(dev: string): { vdev: string; devtype: DiskDevtype } {
  const colon = dev.indexOf(":");
  const name = colon < 0 ? dev : dev.slice(0, colon);
  const suffix = colon < 0 ? "disk" : dev.slice(colon + 1);
  if (suffix !== "disk" && suffix !== "cdrom") throw new ValueError(`device ${show(dev)}: after ":" comes disk or cdrom`);
  return { vdev: formatVdev(parseVdev(name)), devtype: suffix };
}

export function formatDiskDev(disk: Pick<DiskSpec, "vdev" | "devtype">): string {
  return disk.devtype === "cdrom" ? `${disk.vdev}:cdrom` : disk.vdev;
}

function parseDiskMode(mode: string, devtype: DiskDevtype): DiskMode {
  if (mode !== "r" && mode !== "w" && mode !== "w!") throw new ValueError(`disk mode ${show(mode)} is not r, w or w!`);
  // CD readers are read-only devices (manual §6.2.1, §6.2.2).
  if (devtype === "cdrom" && mode !== "r") throw new ValueError(`a cdrom is read-only: its mode is r, not ${mode}`);
  return mode;
}

/** Assembles a DiskSpec from its parts as both the config file and SXP give them. */
export function diskFromParts(uname: string, dev: string, mode: string, backend: string | undefined): DiskSpec {
  const { type, path } = parseUname(uname);
  const { vdev, devtype } = parseDiskDev(dev);
  const spec: DiskSpec = { type, path, vdev, devtype, mode: parseDiskMode(mode, devtype) };
  const b = backend === undefined ? undefined : parseBackend(backend);
  return b === undefined ? spec : { ...spec, backend: b };
}

/** Parses 'TYPE:PATH,VDEV[:cdrom],MODE[,BACKEND]'. */
export function parseDiskEntry(entry: string): DiskSpec {
  const fields = entry.split(",");
  if (fields.length < 3 || fields.length > 4) {
    throw new ValueError(`disk ${show(entry)} is not 'TYPE:PATH,VDEV,MODE[,BACKEND]' (e.g. 'file:/images/vm1/disk0,xvda,w')`);
  }
  return diskFromParts(fields[0], fields[1], fields[2], fields[3]);
}

export function formatDiskEntry(disk: DiskSpec): string {
  const fields = [formatUname(disk), formatDiskDev(disk), disk.mode];
  if (disk.backend !== undefined) fields.push(disk.backend);
  return fields.join(",");
}

// Virtual block device names (xvda, hdc, sdb3, xvdtq37) and the numbers xenstore and
// `xm block-list` use for them (manual §6.13; encoding from Xen's docs/misc/vbd-interface.txt):
//
//   1 << 28 | disk << 8 | partition    xvd, disks or partitions 16 onwards (disk < 2^20, partition < 256)
//   202 << 8 | disk << 4 | partition   xvd, disks and partitions up to 15
//   8 << 8 | disk << 4 | partition     sd, disks and partitions up to 15
//   3 << 8 | disk << 6 | partition     hd, disks 0..1, partitions 0..63
//   22 << 8 | (disk-2) << 6 | partition  hd, disks 2..3, partitions 0..63

import { ValueError, show } from "./config-error.js";

export type VdevKind = "xvd" | "sd" | "hd";

/** A device name taken apart: kind, disk number (a = 0, z = 25, aa = 26…) and partition (0 = whole disk). */
export interface Vdev {
  readonly kind: VdevKind;
  readonly disk: number;
  readonly partition: number;
}

const LIMITS: Record<VdevKind, { disks: number; partitions: number }> = {
  xvd: { disks: 1 << 20, partitions: 256 },
  sd: { disks: 16, partitions: 16 },
  hd: { disks: 4, partitions: 64 },
};

const NAME = /^(xvd|sd|hd)([a-z]{1,5})([1-9]\d{0,2})?$/;

/** Parses a device name such as xvda, xvdb1, hdc or sdp15. */
export function parseVdev(name: string): Vdev {
  const m = NAME.exec(name);
  if (m === null) throw new ValueError(`${show(name)} is not a virtual device name (xvdN, hdN or sdN with N a letter, e.g. xvda, xvdb1, hdc)`);
  const kind = m[1] as VdevKind;
  let disk = 0;
  for (const letter of m[2]) disk = disk * 26 + (letter.charCodeAt(0) - 96);
  disk -= 1; // letters count like spreadsheet columns: a = 1 … z = 26, aa = 27; disks count from 0
  const partition = m[3] === undefined ? 0 : Number(m[3]);
  const limit = LIMITS[kind];
  if (disk >= limit.disks) throw new ValueError(`${show(name)}: ${kind} disks go up to ${diskLetters(limit.disks - 1)}`);
  if (partition >= limit.partitions) throw new ValueError(`${show(name)}: ${kind} partitions go up to ${limit.partitions - 1}`);
  return { kind, disk, partition };
}

function diskLetters(disk: number): string {
  let letters = "";
  for (let n = disk + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(97 + ((n - 1) % 26)) + letters;
  return letters;
}

/** Writes a device name back: formatVdev(parseVdev(s)) === s. */
export function formatVdev(vdev: Vdev): string {
  const limit = LIMITS[vdev.kind];
  if (!Number.isInteger(vdev.disk) || vdev.disk < 0 || vdev.disk >= limit.disks ||
      !Number.isInteger(vdev.partition) || vdev.partition < 0 || vdev.partition >= limit.partitions) {
    throw new ValueError(`no ${vdev.kind} device has disk ${vdev.disk} partition ${vdev.partition}`);
  }
  return `${vdev.kind}${diskLetters(vdev.disk)}${vdev.partition === 0 ? "" : vdev.partition}`;
}

/** The device number of a name, as `xm block-list` shows it: xvda 51712, hda 768, sda3 2051. */
export function vdevToNumber(name: string): number {
  const { kind, disk, partition } = parseVdev(name);
  switch (kind) {
    case "xvd":
      return disk < 16 && partition < 16 ? (202 << 8) | (disk << 4) | partition : (1 << 28) | (disk << 8) | partition;
    case "sd":
      return (8 << 8) | (disk << 4) | partition;
    case "hd":
      return disk < 2 ? (3 << 8) | (disk << 6) | partition : (22 << 8) | ((disk - 2) << 6) | partition;
  }
}

/** The name of a device number; numbers Xen reserves, deprecates or would write otherwise are refused. */
export function numberToVdev(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new ValueError(`${n} is not a device number`);
  let vdev: Vdev | undefined;
  if (n >>> 28 === 1 && n < 2 ** 29) {
    vdev = { kind: "xvd", disk: (n >>> 8) & 0xfffff, partition: n & 0xff };
    if (vdev.disk < 16 && vdev.partition < 16) vdev = undefined; // such a disk has a 202 << 8 number
  } else if (n < 1 << 16) {
    const major = n >>> 8;
    const minor = n & 0xff;
    if (major === 202) vdev = { kind: "xvd", disk: minor >> 4, partition: minor & 15 };
    else if (major === 8) vdev = { kind: "sd", disk: minor >> 4, partition: minor & 15 };
    else if (major === 3 && minor < 128) vdev = { kind: "hd", disk: minor >> 6, partition: minor & 63 };
    else if (major === 22 && minor < 128) vdev = { kind: "hd", disk: 2 + (minor >> 6), partition: minor & 63 };
  }
  if (vdev === undefined) throw new ValueError(`${n} is not the number of an xvd, sd or hd device`);
  return formatVdev(vdev);
}

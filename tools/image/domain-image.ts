// A domain's disk image, made where vm-install makes them: DOMUS_HOME/images/<vm>/disk<N>, sparse
// (raw: a file of the disk's size with no blocks; qcow2 and VMDK: their tables only), never over
// an existing file. Returns the `disk =` entry that attaches it.

import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createRawImage } from "../../services/blk/formats/raw.js";
import { createQcow2Image } from "../../services/blk/formats/qcow2.js";
import { createVmdkImage } from "../../services/blk/formats/vmdk.js";
import { checkWord } from "../config/names.js";
import { homePaths } from "../lib/home.js";

export const IMAGE_FORMATS = ["raw", "qcow2", "vmdk"] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** The disk type of a config's `disk =` entry that opens each format. */
const DISK_TYPE: Record<ImageFormat, string> = { raw: "file", qcow2: "tap:qcow", vmdk: "tap:vmdk" };

export interface DomainImage {
  readonly path: string;
  /** e.g. `file:/home/me/.domus/images/vm1/disk0,xvda,w` */
  readonly diskEntry: string;
}

export function domainImagePath(home: string, vm: string, disk = 0): string {
  return join(homePaths(home).images, checkWord("domain name", vm), `disk${disk}`);
}

export async function createDomainImage(home: string, vm: string, sizeBytes: number, format: ImageFormat = "raw", disk = 0): Promise<DomainImage> {
  const path = domainImagePath(home, vm, disk);
  await mkdir(dirname(path), { recursive: true });
  if (format === "raw") await createRawImage(path, sizeBytes);
  else if (format === "qcow2") await createQcow2Image(path, sizeBytes);
  else await createVmdkImage(path, sizeBytes);
  // xvda, xvdb …: the disk's number is its letter.
  const vdev = `xvd${String.fromCharCode(0x61 + disk)}`;
  return { path, diskEntry: `${DISK_TYPE[format]}:${path},${vdev},w` };
}

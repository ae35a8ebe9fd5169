// A raw (flat) disk image: byte n of the disk is byte n of the file. Also serves phy: devices,
// which are raw block devices (or files) the host already has.

import { open, readFile, type FileHandle } from "node:fs/promises";
import { ImageError, type BlockImage } from "../image.js";
import { createImageFile } from "./file-io.js";
import { MergedFileIo } from "./merged-io.js";

export async function openRawImage(path: string, readOnly: boolean): Promise<BlockImage> {
  let fh: FileHandle;
  let sizeBytes: number;
  try {
    fh = await open(path, readOnly ? "r" : "r+");
    const st = await fh.stat();
    // A block device reports size 0 through stat; its end is found by seeking.
    sizeBytes = st.isBlockDevice() ? await blockDeviceSize(st.rdev) : st.size;
  } catch (e) {
    throw new ImageError(`cannot open disk image ${path}: ${(e as Error).message}`);
  }
  // Requests that continue each other become one preadv / pwritev (merged-io.ts).
  const io = new MergedFileIo(fh);
  return {
    path,
    format: "raw",
    sizeBytes,
    readOnly,
    read: (buf, offset) => io.read(buf, offset),
    write: (buf, offset) => io.write(buf, offset),
    async flush() {
      await fh.datasync();
    },
    async close() {
      await fh.close();
    },
  };
}

/** Linux tells a block device's size in 512-byte sectors under /sys/dev/block/MAJOR:MINOR/size. */
async function blockDeviceSize(rdev: number): Promise<number> {
  const major = Math.floor(rdev / 256) & 0xfff;
  const minor = (rdev & 0xff) | (Math.floor(rdev / 0x100000) & ~0xff);
  const sectors = Number((await readFile(`/sys/dev/block/${major}:${minor}/size`, "utf8")).trim());
  return sectors * 512;
}

/** Make a sparse raw image of `sizeBytes` (the manual's default for file: disks); refuses to overwrite. */
export async function createRawImage(path: string, sizeBytes: number): Promise<void> {
  const fh = await createImageFile(path);
  try {
    await fh.truncate(sizeBytes);
  } finally {
    await fh.close();
  }
}

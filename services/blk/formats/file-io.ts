// Whole reads and writes at a position of an image file: a read or write may move fewer bytes
// than asked, so each loops until done. Shared by the file-backed formats (raw, qcow2, vmdk).

import { open, type FileHandle } from "node:fs/promises";
import { ImageError } from "../image.js";

/** Reads `buf.length` bytes at `pos`; past the end of the file, zeros. Returns `buf`. */
export async function readFully(fh: FileHandle, buf: Uint8Array, pos: number): Promise<Uint8Array> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, pos + done);
    if (bytesRead === 0) {
      buf.fill(0, done);
      break;
    }
    done += bytesRead;
  }
  return buf;
}

export async function writeFully(fh: FileHandle, buf: Uint8Array, pos: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, pos + done);
    done += bytesWritten;
  }
}

/** A new image file, opened for writing; an existing file is never overwritten. */
export async function createImageFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, "wx");
  } catch (e) {
    throw new ImageError(`cannot create disk image ${path}: ${(e as Error).message}`, (e as NodeJS.ErrnoException).code);
  }
}

// A raw (flat) disk image: byte n of the disk is byte n of the file.

import { openSync, readSync, writeSync, fsyncSync, fstatSync, closeSync } from "node:fs";
import type { BlockImage } from "./image.js";

export function openRawImage(path: string, readOnly: boolean): BlockImage {
  let fd: number;
  try {
    fd = openSync(path, readOnly ? "r" : "r+");
  } catch (e) {
    throw new Error(`cannot open disk image ${path}: ${(e as Error).message}`);
  }
  const sizeBytes = fstatSync(fd).size;
  return {
    path,
    sizeBytes,
    readOnly,
    read(buf, offset) {
      let done = 0;
      while (done < buf.length) {
        const n = readSync(fd, buf, done, buf.length - done, offset + done);
        if (n === 0) {
          buf.fill(0, done);
          return;
        }
        done += n;
      }
    },
    write(buf, offset) {
      let done = 0;
      while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, offset + done);
    },
    flush() {
      fsyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
}

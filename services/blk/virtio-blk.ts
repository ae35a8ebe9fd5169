// virtio-blk (virtio 1.x 5.2): what a request means. The transport hands over one descriptor
// chain per request: a 16-byte header to read, data buffers, and a status byte to write last.

import { VIRTIO_ID_BLOCK } from "../../kernel/public/virtio-slot.js";
import type { DescriptorChain, VirtioDevice } from "../../kernel/host/virtqueue.js";
import type { BlockImage } from "./image.js";

const SECTOR = 512;
const T_IN = 0;
const T_OUT = 1;
const T_FLUSH = 4;
const T_GET_ID = 8;
const S_OK = 0;
const S_IOERR = 1;
const S_UNSUPP = 2;
const F_SEG_MAX = 2n;
const F_RO = 5n;
const F_BLK_SIZE = 6n;
const F_FLUSH = 9n;
const SEG_MAX = 254;
const ID_BYTES = 20;

/** Copy the chain's readable bytes [from, from+len) into one buffer (headers may be split). */
function gather(bufs: Uint8Array[], from: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let pos = 0;
  let skip = from;
  for (const b of bufs) {
    if (pos === len) break;
    if (skip >= b.length) { skip -= b.length; continue; }
    const part = b.subarray(skip, skip + (len - pos));
    out.set(part, pos);
    pos += part.length;
    skip = 0;
  }
  return out.subarray(0, pos);
}

/** The readable buffers after the first `skip` bytes (the header), as views. */
function payload(bufs: Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of bufs) {
    if (skip >= b.length) { skip -= b.length; continue; }
    out.push(b.subarray(skip));
    skip = 0;
  }
  return out;
}

export class VirtioBlk implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;

  constructor(
    private readonly image: BlockImage,
    private readonly serial: string,
  ) {
    this.features = (1n << F_SEG_MAX) | (1n << F_BLK_SIZE) | (1n << F_FLUSH) | (image.readOnly ? 1n << F_RO : 0n);
  }

  close(): void {
    this.image.close();
  }

  config(): Uint8Array {
    const c = new DataView(new ArrayBuffer(24));
    c.setBigUint64(0, BigInt(Math.floor(this.image.sizeBytes / SECTOR)), true); // capacity
    c.setUint32(8, 0, true); // size_max (not offered)
    c.setUint32(12, SEG_MAX, true);
    c.setUint32(20, SECTOR, true); // blk_size
    return new Uint8Array(c.buffer);
  }

  handle(_queue: number, chain: DescriptorChain): number {
    const header = gather(chain.readable, 0, 16);
    const writable = chain.writable;
    const statusBuf = writable.length > 0 ? writable[writable.length - 1] : undefined;
    if (header.length < 16 || statusBuf === undefined || statusBuf.length < 1) return 0; // malformed: nothing to answer into
    const h = new DataView(header.buffer, header.byteOffset, 16);
    const type = h.getUint32(0, true);
    const sector = Number(h.getBigUint64(8, true));
    const statusAt = statusBuf.length - 1;
    let written = 1;
    let status = S_OK;
    try {
      if (type === T_IN) {
        let offset = sector * SECTOR;
        const bufs = writable.slice(0, -1);
        const last = statusBuf.subarray(0, statusAt);
        if (last.length > 0) bufs.push(last);
        const total = bufs.reduce((n, b) => n + b.length, 0);
        if (offset + total > this.image.sizeBytes) status = S_IOERR;
        else for (const b of bufs) { this.image.read(b, offset); offset += b.length; written += b.length; }
      } else if (type === T_OUT) {
        if (this.image.readOnly) status = S_IOERR;
        else {
          const parts = payload(chain.readable, 16);
          let offset = sector * SECTOR;
          const total = parts.reduce((n, b) => n + b.length, 0);
          if (offset + total > this.image.sizeBytes) status = S_IOERR;
          else for (const b of parts) { this.image.write(b, offset); offset += b.length; }
        }
      } else if (type === T_FLUSH) {
        this.image.flush();
      } else if (type === T_GET_ID) {
        const id = new TextEncoder().encode(this.serial).subarray(0, ID_BYTES);
        const out = writable[0];
        if (out !== statusBuf) { out.fill(0, 0, Math.min(out.length, ID_BYTES)); out.set(id.subarray(0, out.length)); written += Math.min(out.length, ID_BYTES); }
        else status = S_IOERR;
      } else {
        status = S_UNSUPP;
      }
    } catch {
      status = S_IOERR;
    }
    statusBuf[statusAt] = status;
    return written;
  }
}

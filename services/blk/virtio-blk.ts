// virtio-blk (virtio 1.x 5.2): what a request means. A request is a 16-byte header (type,
// sector), then the data to write; the driver leaves room for the data to read and a status
// byte, which is always the last writable byte.

import { VIRTIO_ID_BLOCK } from "../../kernel/public/virtio-slot.js";
import type { VirtioAnswer, VirtioBackend, VirtioRequest } from "../../kernel/host/virtio-backend.js";
import type { BlockImage } from "./image.js";

export const SECTOR_BYTES = 512;
const HEADER_BYTES = 16;
const T_IN = 0;
const T_OUT = 1;
const T_FLUSH = 4;
const T_GET_ID = 8;
const S_OK = 0;
const S_IOERR = 1;
const S_UNSUPP = 2;
const F_SIZE_MAX = 1n;
const F_SEG_MAX = 2n;
const F_RO = 5n;
const F_BLK_SIZE = 6n;
const F_FLUSH = 9n;
const SEG_MAX = 254;
/** Largest segment: with SEG_MAX, a request moves at most 254 MiB, which one bulk frame carries. */
const SIZE_MAX = 1024 * 1024;
const ID_BYTES = 20;

export class VirtioBlk implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;

  constructor(
    readonly image: BlockImage,
    private readonly serial: string,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.features = (1n << F_SIZE_MAX) | (1n << F_SEG_MAX) | (1n << F_BLK_SIZE) | (1n << F_FLUSH) | (image.readOnly ? 1n << F_RO : 0n);
  }

  close(): void {
    void this.image.close();
  }

  config(): Uint8Array {
    const c = new DataView(new ArrayBuffer(24));
    c.setBigUint64(0, BigInt(Math.floor(this.image.sizeBytes / SECTOR_BYTES)), true); // capacity
    c.setUint32(8, SIZE_MAX, true);
    c.setUint32(12, SEG_MAX, true);
    c.setUint32(20, SECTOR_BYTES, true); // blk_size
    return new Uint8Array(c.buffer);
  }

  async serve(req: VirtioRequest): Promise<VirtioAnswer> {
    // Malformed (no header or no status byte): nothing can be answered into it.
    if (req.readable.length < HEADER_BYTES || req.writableBytes < 1) return { written: 0, data: new Uint8Array(0) };
    const h = new DataView(req.readable.buffer, req.readable.byteOffset, HEADER_BYTES);
    const type = h.getUint32(0, true);
    const offset = Number(h.getBigUint64(8, true)) * SECTOR_BYTES;
    // A read's answer is not cleared first: the read fills it, or it is cleared below.
    const out = type === T_IN ? Buffer.allocUnsafe(req.writableBytes) : new Uint8Array(req.writableBytes);
    const statusAt = out.length - 1;
    let written = 1;
    let status = S_OK;
    try {
      if (type === T_IN) {
        const data = out.subarray(0, statusAt);
        if (!this.inside(offset, data.length)) status = S_IOERR;
        else { await this.image.read(data, offset); written += data.length; }
      } else if (type === T_OUT) {
        const data = req.readable.subarray(HEADER_BYTES);
        if (this.image.readOnly || !this.inside(offset, data.length)) status = S_IOERR;
        else await this.image.write(data, offset);
      } else if (type === T_FLUSH) {
        await this.image.flush();
      } else if (type === T_GET_ID) {
        const id = new TextEncoder().encode(this.serial).subarray(0, Math.min(ID_BYTES, statusAt));
        out.set(id);
        written += Math.min(ID_BYTES, statusAt);
      } else {
        status = S_UNSUPP;
      }
    } catch (e) {
      this.log(`${this.image.path}: ${(e as Error).message}`);
      status = S_IOERR;
    }
    if (type === T_IN && status !== S_OK) out.fill(0, 0, statusAt);
    out[statusAt] = status;
    return { written, data: out };
  }

  /** Whether [offset, offset + len) lies on the disk; anything else is that request's I/O error. */
  private inside(offset: number, len: number): boolean {
    return Number.isSafeInteger(offset) && offset + len <= this.image.sizeBytes;
  }
}

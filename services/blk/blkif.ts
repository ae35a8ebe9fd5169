// blkif (Xen's io/blkif.h): what a PV block request means. The kernel pushes the request slots
// of a frontend's ring; each names an operation, a start sector and up to 11 segments (a granted
// page and the sectors used in it). Writes fetch the granted bytes from the kernel in one batch,
// reads hand theirs back with the responses, so a batch of requests costs two messages at most.

import {
  BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER, BLKIF_MAX_SEGMENTS_PER_REQUEST,
  BLKIF_REQ_ID, BLKIF_REQ_NR_SEGMENTS, BLKIF_REQ_OPERATION, BLKIF_REQ_SECTOR, BLKIF_REQ_SEG, BLKIF_REQUEST_SIZE,
  BLKIF_RESPONSE_SIZE, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_RSP_ID, BLKIF_RSP_OKAY, BLKIF_RSP_OPERATION,
  BLKIF_RSP_STATUS, BLKIF_SECTOR_SIZE, BLKIF_SEG_FIRST_SECT, BLKIF_SEG_GREF, BLKIF_SEG_LAST_SECT, BLKIF_SEG_SIZE,
  BLKIF_SLOT_SIZE,
} from "../../kernel/public/xen/blkif.js";
import type { GrantSegmentSpec, RingRequestsFrame } from "../../kernel/public/protocol.js";
import type { KernelPort } from "../common/kernel-port.js";
import type { BlockImage } from "./image.js";

const SECTORS_PER_PAGE = 4096 / BLKIF_SECTOR_SIZE;

export interface BlkifRequest {
  readonly position: number;
  readonly operation: number;
  readonly id: bigint;
  readonly sector: number;
  /** Each segment as a grant copy: the page, and the bytes of it the request uses. */
  readonly segments: readonly GrantSegmentSpec[];
  /** Set when the request is malformed: it is answered with this status and nothing is done. */
  readonly refuse?: number;
}

/** Read one request slot. Never throws: a bad request comes back with `refuse` set. */
export function parseBlkifRequest(slot: Uint8Array, position: number): BlkifRequest {
  const v = new DataView(slot.buffer, slot.byteOffset, Math.min(slot.length, BLKIF_REQUEST_SIZE));
  const operation = v.getUint8(BLKIF_REQ_OPERATION);
  const id = v.getBigUint64(BLKIF_REQ_ID, true);
  const sector = Number(v.getBigUint64(BLKIF_REQ_SECTOR, true));
  const n = v.getUint8(BLKIF_REQ_NR_SEGMENTS);
  const base = { position, operation, id, sector };
  if (operation === BLKIF_OP_FLUSH_DISKCACHE || operation === BLKIF_OP_WRITE_BARRIER) return { ...base, segments: [] };
  if (operation !== BLKIF_OP_READ && operation !== BLKIF_OP_WRITE) return { ...base, segments: [], refuse: BLKIF_RSP_EOPNOTSUPP };
  if (n === 0 || n > BLKIF_MAX_SEGMENTS_PER_REQUEST) return { ...base, segments: [], refuse: BLKIF_RSP_ERROR };
  const segments: GrantSegmentSpec[] = [];
  for (let i = 0; i < n; i++) {
    const at = BLKIF_REQ_SEG + i * BLKIF_SEG_SIZE;
    const first = v.getUint8(at + BLKIF_SEG_FIRST_SECT);
    const last = v.getUint8(at + BLKIF_SEG_LAST_SECT);
    if (first > last || last >= SECTORS_PER_PAGE) return { ...base, segments: [], refuse: BLKIF_RSP_ERROR };
    segments.push({ ref: v.getUint32(at + BLKIF_SEG_GREF, true), offset: first * BLKIF_SECTOR_SIZE, len: (last - first + 1) * BLKIF_SECTOR_SIZE });
  }
  return { ...base, segments };
}

export function blkifResponse(req: BlkifRequest, status: number): Uint8Array {
  const out = new Uint8Array(BLKIF_RESPONSE_SIZE);
  const v = new DataView(out.buffer);
  v.setBigUint64(BLKIF_RSP_ID, req.id, true);
  v.setUint8(BLKIF_RSP_OPERATION, req.operation);
  v.setInt16(BLKIF_RSP_STATUS, status, true);
  return out;
}

const bytesOf = (segments: readonly GrantSegmentSpec[]): number => segments.reduce((n, s) => n + s.len, 0);

/** Serves one disk's ring. */
export class BlkifServer {
  /** blkif has one ring per device. */
  static readonly ring = 0;
  static readonly slotSize = BLKIF_SLOT_SIZE;
  static readonly rspSize = BLKIF_RESPONSE_SIZE;

  constructor(
    private readonly image: BlockImage,
    private readonly domid: number,
    private readonly devid: number,
    private readonly kernel: KernelPort,
    private readonly log: (msg: string) => void,
  ) {}

  async serve(frame: RingRequestsFrame): Promise<void> {
    const requests = frame.positions.map((p, i) => parseBlkifRequest(frame.raw.subarray(i * BLKIF_SLOT_SIZE, (i + 1) * BLKIF_SLOT_SIZE), p));
    const writes = requests.filter((r) => r.refuse === undefined && r.operation === BLKIF_OP_WRITE && this.inside(r));
    let written: Uint8Array = new Uint8Array(0);
    let fetchFailed = false;
    if (writes.length > 0) {
      try {
        written = await this.kernel.grantRead(this.domid, writes.flatMap((r) => r.segments));
      } catch (e) {
        this.log(`fetching written data: ${(e as Error).message}`);
        fetchFailed = true;
      }
    }
    const writeData = new Map<BlkifRequest, Uint8Array>();
    let at = 0;
    for (const r of writes) {
      const len = bytesOf(r.segments);
      writeData.set(r, written.subarray(at, at + len));
      at += len;
    }
    const results = await Promise.all(requests.map(async (r) => this.one(r, fetchFailed ? undefined : writeData.get(r))));
    const copies = results.flatMap((x) => x.copies);
    const data = new Uint8Array(bytesOf(copies));
    let pos = 0;
    for (const x of results) for (const d of x.data) { data.set(d, pos); pos += d.length; }
    const responses = new Uint8Array(requests.length * BLKIF_RESPONSE_SIZE);
    results.forEach((x, i) => responses.set(blkifResponse(requests[i], x.status), i * BLKIF_RESPONSE_SIZE));
    this.kernel.ringRespond(this.domid, this.devid, BlkifServer.ring, frame.positions, copies, data, responses);
  }

  private inside(r: BlkifRequest): boolean {
    const offset = r.sector * BLKIF_SECTOR_SIZE;
    return Number.isSafeInteger(offset) && offset + bytesOf(r.segments) <= this.image.sizeBytes;
  }

  private async one(r: BlkifRequest, payload: Uint8Array | undefined): Promise<{ status: number; copies: GrantSegmentSpec[]; data: Uint8Array[] }> {
    const fail = (status: number) => ({ status, copies: [], data: [] });
    if (r.refuse !== undefined) return fail(r.refuse);
    try {
      if (r.operation === BLKIF_OP_FLUSH_DISKCACHE || r.operation === BLKIF_OP_WRITE_BARRIER) {
        await this.image.flush();
        return fail(BLKIF_RSP_OKAY);
      }
      if (!this.inside(r)) return fail(BLKIF_RSP_ERROR);
      const offset = r.sector * BLKIF_SECTOR_SIZE;
      if (r.operation === BLKIF_OP_WRITE) {
        if (this.image.readOnly || payload === undefined) return fail(BLKIF_RSP_ERROR);
        await this.image.write(payload, offset);
        return fail(BLKIF_RSP_OKAY);
      }
      const data = new Uint8Array(bytesOf(r.segments));
      await this.image.read(data, offset);
      const parts: Uint8Array[] = [];
      let at = 0;
      for (const s of r.segments) { parts.push(data.subarray(at, at + s.len)); at += s.len; }
      return { status: BLKIF_RSP_OKAY, copies: [...r.segments], data: parts };
    } catch (e) {
      this.log(`request at sector ${r.sector}: ${(e as Error).message}`);
      return fail(BLKIF_RSP_ERROR);
    }
  }
}

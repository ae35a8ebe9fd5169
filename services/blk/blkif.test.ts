import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { blkifResponse, parseBlkifRequest } from "./blkif.js";
import {
  BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_SLOT_SIZE,
} from "../../kernel/public/xen/blkif.js";

function request(op: number, id: bigint, sector: bigint, segs: [number, number, number][]): Uint8Array {
  const b = new Uint8Array(BLKIF_SLOT_SIZE);
  const v = new DataView(b.buffer);
  v.setUint8(0, op);
  v.setUint8(1, segs.length);
  v.setUint16(2, 51712, true);
  v.setBigUint64(8, id, true);
  v.setBigUint64(16, sector, true);
  segs.forEach(([gref, first, last], i) => {
    v.setUint32(24 + 8 * i, gref, true);
    v.setUint8(28 + 8 * i, first);
    v.setUint8(29 + 8 * i, last);
  });
  return b;
}

describe("blkif requests", () => {
  it("reads operation, id, sector and segments as grant copies", () => {
    const r = parseBlkifRequest(request(BLKIF_OP_WRITE, 0x1122334455n, 2048n, [[9, 0, 7], [10, 2, 3]]), 17);
    expect(r).toEqual({
      position: 17, operation: BLKIF_OP_WRITE, id: 0x1122334455n, sector: 2048,
      segments: [{ ref: 9, offset: 0, len: 4096 }, { ref: 10, offset: 1024, len: 1024 }],
    });
  });

  it.each([
    ["no segments", request(BLKIF_OP_READ, 1n, 0n, []), BLKIF_RSP_ERROR],
    ["12 segments", (() => { const b = request(BLKIF_OP_READ, 1n, 0n, [[1, 0, 7]]); b[1] = 12; return b; })(), BLKIF_RSP_ERROR],
    ["first after last", request(BLKIF_OP_READ, 1n, 0n, [[1, 5, 4]]), BLKIF_RSP_ERROR],
    ["a sector beyond the page", request(BLKIF_OP_READ, 1n, 0n, [[1, 0, 8]]), BLKIF_RSP_ERROR],
    ["an unknown operation", request(9, 1n, 0n, [[1, 0, 7]]), BLKIF_RSP_EOPNOTSUPP],
  ])("refuses %s with its status", (_what, slot, status) => {
    expect(parseBlkifRequest(slot, 0).refuse).toBe(status);
  });

  it("never throws on any slot, and a refused request touches no page", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: BLKIF_SLOT_SIZE, maxLength: BLKIF_SLOT_SIZE }), (slot) => {
      const r = parseBlkifRequest(slot, 3);
      if (r.refuse !== undefined) expect(r.segments).toEqual([]);
      for (const s of r.segments) expect(s.offset + s.len).toBeLessThanOrEqual(4096);
    }), { numRuns: 5000 });
  });

  it("answers with the request's id and operation and the status", () => {
    const r = parseBlkifRequest(request(BLKIF_OP_READ, 0xfedcba9876543210n, 0n, [[1, 0, 0]]), 0);
    const v = new DataView(blkifResponse(r, BLKIF_RSP_ERROR).buffer);
    expect(v.getBigUint64(0, true)).toBe(0xfedcba9876543210n);
    expect(v.getUint8(8)).toBe(BLKIF_OP_READ);
    expect(v.getInt16(10, true)).toBe(BLKIF_RSP_ERROR);
  });
});

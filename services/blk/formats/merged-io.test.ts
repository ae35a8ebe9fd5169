// Merged reads and writes against a model of the file: whatever the mix of requests in a turn
// (continuing each other or not, reads past the end), each sees and leaves the bytes it would alone.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { MergedFileIo } from "./merged-io.js";

const scratch = mkdtempSync(join(tmpdir(), "domus-merged-io-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let files = 0;
function fileWith(bytes: Uint8Array): string {
  const path = join(scratch, `${files++}.img`);
  writeFileSync(path, bytes);
  return path;
}

/** One turn's requests: pieces of [0, end) in order, each a read or a write; some swapped. */
const turn = fc.record({
  lengths: fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 12 }),
  writes: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  start: fc.integer({ min: 0, max: 6000 }),
  swaps: fc.array(fc.nat(), { maxLength: 3 }),
});

describe("MergedFileIo", () => {
  it("reads and writes as one request at a time would", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 8000 }), fc.array(turn, { minLength: 1, maxLength: 4 }), async (initial, turns) => {
      const path = fileWith(initial);
      const fh = await open(path, "r+");
      const io = new MergedFileIo(fh);
      let model = Buffer.from(initial);
      try {
        for (const t of turns) {
          let pos = t.start;
          const ops = t.lengths.map((len, i) => {
            const op = { write: t.writes[i], pos, buf: t.writes[i] ? Buffer.alloc(len, (pos + i) & 0xff) : Buffer.alloc(len, 0xee) };
            pos += len;
            return op;
          });
          for (const s of t.swaps) {
            const i = s % ops.length;
            [ops[0], ops[i]] = [ops[i], ops[0]];
          }
          // The turn's requests do not overlap, so the model may apply them in any order.
          const want = ops.map((o) => {
            if (o.write) return undefined;
            const out = Buffer.alloc(o.buf.length);
            model.copy(out, 0, Math.min(o.pos, model.length), Math.min(o.pos + o.buf.length, model.length));
            return out;
          });
          for (const o of ops) {
            if (!o.write || o.buf.length === 0) continue;
            if (model.length < o.pos + o.buf.length) model = Buffer.concat([model, Buffer.alloc(o.pos + o.buf.length - model.length)]);
            o.buf.copy(model, o.pos);
          }
          await Promise.all(ops.map((o) => (o.write ? io.write(o.buf, o.pos) : io.read(o.buf, o.pos))));
          ops.forEach((o, i) => { if (!o.write) expect(o.buf).toEqual(want[i]); });
        }
      } finally {
        await fh.close();
      }
      expect(readFileSync(path)).toEqual(model);
    }), { numRuns: 100 });
  });

  it("fails a request alone when its merged transfer fails", async () => {
    const path = fileWith(new Uint8Array(4096).fill(9));
    const fh = await open(path, "r"); // writes fail with EBADF
    try {
      const io = new MergedFileIo(fh);
      const read = new Uint8Array(1024);
      const results = await Promise.allSettled([
        io.write(new Uint8Array(1024), 0), io.write(new Uint8Array(1024), 1024), io.read(read, 2048),
      ]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "fulfilled"]);
      expect(read.every((b) => b === 9)).toBe(true);
    } finally {
      await fh.close();
    }
  });

  it("lets a closed file's requests fail, not reach a file opened after it", async () => {
    const fh = await open(fileWith(new Uint8Array(4096)), "r+");
    const io = new MergedFileIo(fh);
    // Written or refused, depending on when the close takes effect: either way not into `other`.
    const pending = io.write(new Uint8Array(512).fill(1), 0).catch(() => {});
    const closed = fh.close();
    const other = fileWith(new Uint8Array(4096).fill(2));
    const reused = await open(other, "r+"); // may get the closed file's descriptor number
    try {
      await closed;
      await expect(io.write(new Uint8Array(512).fill(3), 512)).rejects.toThrow();
      await pending;
      expect(readFileSync(other).every((b) => b === 2)).toBe(true);
    } finally {
      await reused.close();
    }
  });
});

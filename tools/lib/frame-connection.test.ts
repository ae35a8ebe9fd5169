// A bulk connection reads into ReadBuffers through net.connect's `onread`: frames of every size,
// cut anywhere by the socket and across buffers, arrive whole, and the bytes of those delivered
// first are still theirs once many more reads have followed.

import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeFrame, encodeRawFrame } from "../../kernel/public/frames.js";
import { FrameConnection } from "./frame-connection.js";

const scratch = mkdtempSync(join(tmpdir(), "domus-frame-connection-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The bytes of the `i`th frame: its length and contents both follow from `i`. */
function bulk(i: number): Uint8Array {
  const sizes = [0, 1, 3, 511, 4096, 65_537, 300_000, 1_100_000];
  return new Uint8Array(sizes[i % sizes.length] + i).fill(i & 0xff);
}

describe("FrameConnection with bulk", () => {
  it("delivers every raw frame whole and leaves the bytes it handed out alone", async () => {
    const count = 64;
    const path = join(scratch, "bulk.sock");
    const server: Server = createServer((s) => {
      s.on("error", () => {});
      // Raw frames and plain ones, written in many small pieces and a few large ones.
      for (let i = 0; i < count; i++) {
        const frame = Buffer.concat(i % 5 === 4 ? [encodeFrame({ i })] : encodeRawFrame({ i }, bulk(i).subarray(0, 7), bulk(i).subarray(7)));
        for (let at = 0; at < frame.length; at += 1 + ((i * 7919) % 200_000)) s.write(frame.subarray(at, at + 1 + ((i * 7919) % 200_000)));
      }
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const conn = await FrameConnection.connect(path, { what: "the test server", remedy: "none", bulk: true });
    try {
      const got: Record<string, unknown>[] = [];
      await new Promise<void>((resolve) => {
        conn.onEvent((m) => {
          got.push(m);
          if (got.length === count) resolve();
        });
      });
      got.forEach((m, i) => {
        expect(m.i).toBe(i);
        if (i % 5 === 4) expect(m.raw).toBeUndefined();
        else expect(Buffer.compare(m.raw as Uint8Array, bulk(i))).toBe(0);
      });
    } finally {
      conn.close();
      server.close();
    }
  });
});

// Debian's vncsnapshot (a TightVNC-based RFB 3.3 client) captures a screen served by Domus.
// vncsnapshot writes only JPEG (it has no lossless output), so the test pattern is made of flat
// 16x16 blocks aligned with JPEG's colour blocks, the JPEG is written at quality 100 and decoded
// with djpeg without smoothing: every pixel then comes back within a small tolerance (JPEG's
// colour-space rounding), while neighbouring blocks differ by far more.

import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveScreen, type Served } from "./serve.js";

const run = promisify(execFile);
/** Measured: 0 with Debian 12's libjpeg-turbo; a little room for another JPEG library. */
const TOLERANCE = 2;

let dir: string;
let served: Served;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-vnc-"));
  served = await serveScreen({ width: 320, height: 240 });
});
afterAll(async () => {
  await served.close();
  await rm(dir, { recursive: true, force: true });
});

/** A binary PPM (P6) as width, height and RGB bytes. */
function readPpm(b: Buffer): { w: number; h: number; rgb: Buffer } {
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(b.subarray(0, 64).toString("latin1"));
  if (m === null) throw new Error("not a PPM");
  return { w: Number(m[1]), h: Number(m[2]), rgb: b.subarray(m[0].length) };
}

describe("vncsnapshot", () => {
  it("captures the test pattern pixel for pixel (within JPEG rounding)", async () => {
    const jpeg = join(dir, "snap.jpg");
    await run("vncsnapshot", ["-quiet", "-quality", "100", "-nojpeg", `127.0.0.1::${served.display.port}`, jpeg], { timeout: 30_000 });
    const { stdout } = await run("djpeg", ["-nosmooth", "-pnm", jpeg], { encoding: "buffer", maxBuffer: 16 << 20 });
    const img = readPpm(stdout);
    expect([img.w, img.h]).toEqual([320, 240]);
    let worst = 0;
    const px = served.screen.pixels;
    for (let i = 0; i < px.length; i++) {
      const want = [(px[i] >> 16) & 255, (px[i] >> 8) & 255, px[i] & 255];
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(img.rgb[i * 3 + c] - want[c]));
    }
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
    // vncsnapshot speaks RFB 3.3.
    expect(served.logs.some((l) => l.includes("connected: RFB 3.3"))).toBe(true);
  });
});

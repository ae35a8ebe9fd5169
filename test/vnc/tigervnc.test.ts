// TigerVNC's viewer (Debian's tigervnc-viewer) under Xvfb connects with a password file (VNC
// Authentication), asks for ZRLE or Hextile among its encodings, keeps requesting updates while
// the screen changes, and stays connected.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HEXTILE } from "../../services/vnc/encodings/hextile.js";
import { ZRLE } from "../../services/vnc/encodings/zrle.js";
import { passwordKey, vncDes } from "../../services/vnc/vnc-auth.js";
import { serveScreen, until, type Served } from "./serve.js";

/** vncpasswd's obfuscation of a password file: DES under this fixed key. */
const VNCPASSWD_KEY = new Uint8Array([23, 82, 107, 6, 35, 78, 88, 7]);

let dir: string;
let served: Served;
let xvfb: ChildProcess;
let display: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-vnc-"));
  served = await serveScreen({ password: "tiger123" });
  // Xvfb picks a free display number and tells it on the given descriptor.
  xvfb = spawn("Xvfb", ["-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "800x600x24"], { stdio: ["ignore", "ignore", "pipe", "pipe"] });
  display = await new Promise<string>((resolve, reject) => {
    const fd3 = xvfb.stdio[3];
    if (fd3 === null || fd3 === undefined || !("on" in fd3)) throw new Error("no display fd");
    fd3.on("data", (d: Buffer) => resolve(`:${d.toString().trim()}`));
    xvfb.once("exit", (code) => reject(new Error(`Xvfb exited with ${code}`)));
  });
});
afterAll(async () => {
  for (const c of children) c.kill();
  xvfb?.kill();
  await served?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("TigerVNC viewer", () => {
  it("connects with a password file, takes ZRLE or Hextile, keeps asking for updates, stays connected", async () => {
    const passwd = join(dir, "passwd");
    await writeFile(passwd, vncDes(VNCPASSWD_KEY, passwordKey("tiger123")));
    const viewer = spawn("xtigervncviewer", ["-passwd", passwd, "-Shared=1", `127.0.0.1::${served.display.port}`], {
      env: { ...process.env, DISPLAY: display },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(viewer);
    let output = "";
    viewer.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    viewer.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    const conn = () => [...served.rfb.connections][0];
    await until(`the viewer has connected and asked for an update (viewer said: ${output})`, () => conn()?.updateRequests > 0);
    expect(conn().version).toBe("3.8");
    expect(conn().security).toBe(2);
    expect(conn().encodings.includes(ZRLE) || conn().encodings.includes(HEXTILE)).toBe(true);
    // The screen changes for three seconds; the viewer keeps up and stays.
    const before = conn().updateRequests;
    for (let i = 0; i < 30; i++) {
      served.screen.fill({ x: (i * 10) % 300, y: 20, w: 16, h: 16 }, 0xff0000 + i);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(conn().updateRequests).toBeGreaterThan(before + 5);
    expect(conn().closed).toBe(false);
    expect(viewer.exitCode).toBeNull();
    expect(served.logs.filter((l) => l.includes("dropped"))).toEqual([]);
  });
});

// Domains' screens served by the framebuffer service under `domus up`: a minios PV framebuffer
// seen by a VNC client pixel for pixel as minios draws it (the pattern guests/minios/README.md
// defines), keys typed on the client reaching the guest's PV keyboard and its screen, a U-Boot
// HVM domain's console as a text screen, the manual's display-port rules, and a kill -9 of the
// service that viewers survive by reconnecting.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { GuestConsole } from "../support/guest-console.js";
import { reachUbootPrompt, UBOOT_MMODE, UBOOT_PROMPT } from "../support/firmware.js";
import { TestHost, XM, eventually, listRows } from "../toolstack/host.js";
import { TestRfbClient } from "./rfb-client.js";
import { NoVncPage } from "./novnc-page.js";
import { XsClient } from "../../services/store/client.js";
import { storeSocketOf } from "../../tools/xend/store-session.js";
import { PsfFont } from "../../services/vnc/psf-font.js";
import { Screen } from "../../services/vnc/screen.js";
import { TextScreen } from "../../services/vnc/text-screen.js";
import { KernelClient } from "../../tools/kernel-client.js";
import { MINIOS } from "../support/guest-images.js";

const run = promisify(execFile);
/** Displays of this host start here, away from the other tests' and the machine's 5900. */
const BASE_PORT = 25900 + (process.pid % 50) * 20;
/** The font minios's table was made from (guests/minios/gen-font.py). */
const MINIOS_FONT = "/usr/share/consolefonts/Lat15-Fixed16.psf.gz";

let host: TestHost;
let dir: string;
const consoles: GuestConsole[] = [];
const clients: TestRfbClient[] = [];

function config(name: string, lines: string[]): string {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, [`name = '${name}'`, ...lines, ""].join("\n"));
  return file;
}

function minios(name: string, extra: string, vfb = "type=vnc"): string {
  return config(name, ["builder = 'linux'", `kernel = '${MINIOS}'`, "memory = 32", `vfb = [ '${vfb}' ]`, `extra = 'mode=screen name=${name} ${extra}'`]);
}

async function domid(name: string): Promise<number> {
  const id = listRows((await host.xm("list")).stdout).find((r) => r[0] === name)?.[1];
  if (id === undefined) throw new Error(`no domain ${name}`);
  return Number(id);
}

/** The VNC port the framebuffer service published for the domain (backend node vnc-port). */
async function vncPort(name: string): Promise<number> {
  const id = await domid(name);
  const xs = await XsClient.connect(storeSocketOf(host.home));
  try {
    return await eventually(`${name}'s VNC port`, async () => Number(await xs.readIfExists(`/local/domain/0/backend/vfb/${id}/0/vnc-port`)), (p) => p > 0);
  } finally {
    xs.close();
  }
}

async function client(port: number): Promise<TestRfbClient> {
  const c = await TestRfbClient.connect(port);
  clients.push(c);
  await c.update(false);
  return c;
}

/** minios's pattern (guests/minios/README.md, "The screen") for a w×h screen with these text rows. */
function pattern(w: number, h: number, rows: Map<number, string>, font: PsfFont): Uint32Array {
  const out = new Uint32Array(w * h);
  const cols = Math.floor((w - 16) / 8);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let rgb = 0x203040;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) rgb = 0xffffff;
      else if (y < 32) {
        const i = Math.floor((8 * x) / w);
        rgb = (i & 4 ? 0xff0000 : 0) | (i & 2 ? 0x00ff00 : 0) | (i & 1 ? 0x0000ff : 0);
      } else if (x >= 8 && y >= 40) {
        const col = Math.floor((x - 8) / 8);
        const row = Math.floor((y - 40) / 16);
        const text = rows.get(row);
        if (col < cols && text !== undefined && col < text.length && font.pixel(font.glyphOf(text.charCodeAt(col)), (x - 8) % 8, (y - 40) % 16)) rgb = 0xffffff;
      }
      out[y * w + x] = rgb;
    }
  }
  return out;
}

function differences(a: Uint32Array, b: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if ((a[i] & 0xffffff) !== (b[i] & 0xffffff)) n++;
  return n;
}

beforeAll(async () => {
  host = new TestHost({ DOMUS_VNC_BASE_PORT: String(BASE_PORT) });
  dir = mkdtempSync(join(tmpdir(), "domus-vnc-"));
  await host.up();
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const c of consoles) c.kill();
  await host.down();
  rmSync(dir, { recursive: true, force: true });
});

describe("the framebuffer service", () => {
  it("a VNC client and vncsnapshot see minios's framebuffer as minios draws it; keys typed reach its keyboard and screen", async () => {
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", minios("scr1", "fb=640x480")]);
    consoles.push(c);
    await c.waitFor("minios: screen up 640x480");
    const port = await vncPort("scr1");
    expect(port).toBe(BASE_PORT);
    const font = await PsfFont.load(MINIOS_FONT);
    const viewer = await client(port);
    expect([viewer.fb.width, viewer.fb.height]).toEqual([640, 480]);
    const rows = new Map([[0, "Domus minios screen 640x480"], [1, "domain scr1"], [3, "> "]]);
    await eventually("the pattern on the client", async () => {
      await viewer.update(false);
      return differences(viewer.fb.pixels, pattern(640, 480, rows, font));
    }, (d) => d === 0);

    // Debian's vncsnapshot sees it too. It writes only JPEG, so compare where JPEG is exact: in
    // 16x16 blocks (its colour blocks) that the pattern fills with one colour (within rounding).
    const jpeg = join(dir, "scr1.jpg");
    await run("vncsnapshot", ["-quiet", "-quality", "100", "-nojpeg", `127.0.0.1::${port}`, jpeg], { timeout: 30_000 });
    const ppm = (await run("djpeg", ["-nosmooth", "-pnm", jpeg], { encoding: "buffer", maxBuffer: 16 << 20 })).stdout;
    const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 64).toString("latin1"))!;
    expect([Number(header[1]), Number(header[2])]).toEqual([640, 480]);
    const rgb = ppm.subarray(header[0].length);
    const want = pattern(640, 480, rows, font);
    let flatBlocks = 0;
    let worst = 0;
    for (let by = 0; by < 480; by += 16) {
      for (let bx = 0; bx < 640; bx += 16) {
        const first = want[by * 640 + bx];
        let flat = true;
        for (let y = by; y < by + 16 && flat; y++) for (let x = bx; x < bx + 16; x++) if (want[y * 640 + x] !== first) { flat = false; break; }
        if (!flat) continue;
        flatBlocks++;
        for (let y = by; y < by + 16; y++) {
          for (let x = bx; x < bx + 16; x++) {
            const i = (y * 640 + x) * 3;
            worst = Math.max(worst, Math.abs(rgb[i] - ((first >> 16) & 255)), Math.abs(rgb[i + 1] - ((first >> 8) & 255)), Math.abs(rgb[i + 2] - (first & 255)));
          }
        }
      }
    }
    expect(flatBlocks).toBeGreaterThan(900); // of 1200: all but the border, bar edges and text
    expect(worst).toBeLessThanOrEqual(2);

    for (const [keysym, ch] of [[0x68, "h"], [0x69, "i"]] as const) {
      viewer.key(keysym, true);
      viewer.key(keysym, false);
      await c.waitFor(`minios: key ${ch === "h" ? 35 : 23} ${ch}`);
    }
    rows.set(3, "> hi");
    await eventually("the typed keys on the client's screen", async () => {
      await viewer.update(false);
      return differences(viewer.fb.pixels, pattern(640, 480, rows, font));
    }, (d) => d === 0);
  });

  it("noVNC in Chromium shows minios's screen, and keys typed in the page appear on it", async () => {
    const c = consoles[0];
    const novnc = await NoVncPage.open(await vncPort("scr1"));
    try {
      const font = await PsfFont.load(MINIOS_FONT);
      const rows = new Map([[0, "Domus minios screen 640x480"], [1, "domain scr1"], [3, "> hi"]]);
      const shows = async (want: Uint32Array): Promise<number> => {
        const { w, h, px } = await novnc.canvas();
        return w === 640 && h === 480 ? differences(Uint32Array.from(px), want) : -1;
      };
      await eventually("the canvas shows the screen", () => shows(pattern(640, 480, rows, font)), (d) => d === 0);
      await novnc.page.click("canvas", { position: { x: 5, y: 5 } });
      await novnc.page.keyboard.type("ok");
      await c.waitFor("minios: key 24 o");
      await c.waitFor("minios: key 37 k");
      rows.set(3, "> hiok");
      await eventually("the typed keys on the canvas", () => shows(pattern(640, 480, rows, font)), (d) => d === 0);
    } finally {
      await novnc.close();
    }
  });

  it("a U-Boot HVM domain's console is a text screen that takes keys, until the guest draws in its framebuffer", async () => {
    const cfg = config("uscr", ["builder = 'hvm'", "memory = 128", `bios = '${UBOOT_MMODE}'`, "vfb = [ 'type=vnc' ]"]);
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", cfg]);
    consoles.push(c);
    await reachUbootPrompt(c);
    const port = await vncPort("uscr");
    expect(port).toBe(BASE_PORT + 1); // the lowest display free: scr1 has 0
    const viewer = await client(port);
    for (const ch of "echo typed-on-vnc") { viewer.key(ch.charCodeAt(0), true); viewer.key(ch.charCodeAt(0), false); }
    viewer.key(0xff0d, true);
    viewer.key(0xff0d, false);
    await c.waitFor("typed-on-vnc\r\n");
    await c.waitFor(UBOOT_PROMPT);
    // The screen is the console drawn as text: the same bytes drawn here give the same pixels.
    const kernel = await KernelClient.connect(host.home);
    try {
      await eventually("the console's text on the client", async () => {
        await viewer.update(false);
        const screen = new Screen(8, 8);
        new TextScreen(screen).write(await kernel.consoleTail(await domid("uscr")));
        return differences(viewer.fb.pixels, screen.pixels);
      }, (d) => d === 0);
    } finally {
      kernel.close();
    }
    // Its framebuffer (800x600 at the top of its 128 MiB, left out of the device tree's memory):
    // once the guest draws there, the screen shows it. U-Boot draws with `mw.l`: 16 red lines.
    const fbBytes = Math.ceil((800 * 600 * 4) / 4096) * 4096;
    const fbBase = 0x80000000 + 128 * 1024 * 1024 - fbBytes;
    await c.run(`mw.l ${fbBase.toString(16)} 00ff0000 ${(16 * 800).toString(16)}`, UBOOT_PROMPT);
    await eventually("the framebuffer on a new viewer", async () => {
      const v = await TestRfbClient.connect(port);
      clients.push(v);
      await v.update(false);
      v.close();
      if (v.fb.width !== 800) return -1;
      let wrong = 0;
      for (let i = 0; i < 800 * 600; i++) if ((v.fb.pixels[i] & 0xffffff) !== (i < 16 * 800 ? 0xff0000 : 0)) wrong++;
      return wrong;
    }, (wrong) => wrong === 0);
  });

  it("follows the manual's port rules: lowest free display, reuse after shutdown, a fixed display", async () => {
    expect((await host.xm("destroy", "scr1")).code).toBe(0);
    await eventually("display 0 free again", async () => {
      const c = await TestRfbClient.connect(BASE_PORT).then((x) => { x.close(); return true; }, () => false);
      return c;
    }, (up) => !up);
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", minios("scr2", "fb=320x240")]);
    consoles.push(c);
    await c.waitFor("minios: screen up 320x240");
    expect(await vncPort("scr2")).toBe(BASE_PORT);
    const fixed = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", minios("scr3", "fb=320x240", "type=vnc,vncdisplay=7")]);
    consoles.push(fixed);
    await fixed.waitFor("minios: screen up 320x240");
    expect(await vncPort("scr3")).toBe(BASE_PORT + 7);
    // xm list -l records it as Xen's xend does: (location HOST:PORT) in the vfb device.
    expect((await host.xm("list", "-l", "scr3")).stdout).toMatch(new RegExp(`\\(device\\s+\\(vfb\\s+\\(type vnc\\)[^]*?\\(location 127\\.0\\.0\\.1:${BASE_PORT + 7}\\)\\)`));
    const taken = await host.xm("create", minios("scr4", "fb=320x240", "type=vnc,vncdisplay=7"));
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(/display 7/);
  });

  it("kill -9 of the service: it comes back, a viewer reconnects and sees the current screen", async () => {
    const port = await vncPort("scr2");
    const before = await client(port);
    const pixels = before.fb.pixels.slice();
    const pid = host.servicePid("vnc");
    process.kill(pid, "SIGKILL");
    await eventually("the framebuffer service restarted", async () => host.runningPid("vnc"), (p) => p !== undefined && p !== pid);
    // A viewer reconnects (as viewers do) until the restarted service serves the guest's screen again.
    const seen = await eventually("a viewer reconnected to the current screen", async () => {
      const viewer = await TestRfbClient.connect(port).catch(() => undefined);
      if (viewer === undefined) return undefined;
      clients.push(viewer);
      await viewer.update(false);
      viewer.close();
      return { size: [viewer.fb.width, viewer.fb.height], diff: viewer.fb.width === 320 ? differences(viewer.fb.pixels, pixels) : -1 };
    }, (x) => x !== undefined && x.diff === 0);
    expect(seen?.size).toEqual([320, 240]);
  });
});

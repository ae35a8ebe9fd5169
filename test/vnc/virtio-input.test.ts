// An HVM guest's keyboard and tablet: a domain with a screen gets virtio-input devices, and a
// guest with a virtio-input driver (guests/inputprobe, checked against QEMU's virtio keyboard and
// tablet) receives the keys and pointer a VNC client sends as Linux input events: key codes on
// the guest's layout, absolute positions scaled to the tablet's axes, button changes, the LEDs
// it sets; and keeps receiving them across a kill -9 of the framebuffer service.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { GuestConsole } from "../support/guest-console.js";
import { TestHost, XM, eventually, listRows } from "../toolstack/host.js";
import { TestRfbClient } from "./rfb-client.js";
import { XsClient } from "../../services/store/client.js";
import { storeSocketOf } from "../../tools/xend/store-session.js";
import { ABS_X, ABS_Y, BTN_LEFT, EV_ABS, EV_KEY, EV_SYN, VIRTIO_INPUT_ABS_MAX } from "../../kernel/public/virtio-input.js";

const run = promisify(execFile);
const PROBE = fileURLToPath(new URL("../../guests/inputprobe/inputprobe.bin", import.meta.url));
/** Displays of this host start here, away from the other tests' and the machine's 5900. */
const BASE_PORT = 27900 + (process.pid % 50) * 20;
const KEY_A = 30;
const KEY_LEFTSHIFT = 42;
const KEY_CAPSLOCK = 58;
const XK_SHIFT_L = 0xffe1;
const XK_CAPS_LOCK = 0xffe5;

let host: TestHost;
let dir: string;
let probe: GuestConsole;
let viewer: TestRfbClient;
let port: number;
/** Where the guest's `ev` lines were read up to. */
let seen = 0;

/** The guest's input events since the last call: [slot, type, code, value], once `count` are there. */
async function events(count: number): Promise<number[][]> {
  const re = /^ev (\d+) (\d+) (\d+) (-?\d+)\r?$/gm;
  const all = await eventually(`${count} more input events in the guest`, async () => [...probe.text.matchAll(re)], (m) => m.length >= seen + count);
  const got = all.slice(seen, seen + count).map((m) => m.slice(1, 5).map(Number));
  seen += count;
  return got;
}

async function vncPort(domid: number): Promise<number> {
  const xs = await XsClient.connect(storeSocketOf(host.home));
  try {
    return await eventually("the VNC port", async () => Number(await xs.readIfExists(`/local/domain/0/backend/vfb/${domid}/0/vnc-port`)), (p) => p > 0);
  } finally {
    xs.close();
  }
}

beforeAll(async () => {
  host = new TestHost({ DOMUS_VNC_BASE_PORT: String(BASE_PORT) });
  dir = mkdtempSync(join(tmpdir(), "domus-input-"));
  await host.up();
  const cfg = join(dir, "probe.cfg");
  writeFileSync(cfg, ["name = 'probe'", "builder = 'hvm'", "memory = 64", `bios = '${PROBE}'`, "vfb = [ 'type=vnc' ]", ""].join("\n"));
  probe = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", cfg]);
  await probe.waitFor("inputprobe: ready");
  const domid = Number(listRows((await host.xm("list")).stdout).find((r) => r[0] === "probe")?.[1]);
  port = await vncPort(domid);
  viewer = await TestRfbClient.connect(port);
  await viewer.update(false);
});
afterAll(async () => {
  viewer?.close();
  probe?.kill();
  await host.down();
  rmSync(dir, { recursive: true, force: true });
});

describe("virtio-input for HVM guests", () => {
  it("the probe drives QEMU's virtio keyboard and tablet the same way (guests/inputprobe/run-qemu.sh)", async () => {
    const { stdout } = await run("bash", [fileURLToPath(new URL("../../guests/inputprobe/run-qemu.sh", import.meta.url))], { timeout: 60_000 });
    expect(stdout).toContain("run-qemu: OK");
  });

  it("gives a domain with a screen a keyboard and a tablet whose config the driver reads", () => {
    const text = probe.text;
    expect(text).toContain("inputprobe: ready 2");
    expect(text).toMatch(/inputprobe: slot \d+ "Domus virtio keyboard" keys 248 rel 0 abs 0 leds 3/);
    expect(text).toMatch(/inputprobe: slot \d+ "Domus virtio tablet" keys 3 rel 1 abs 2 leds 0/);
    expect(text).toMatch(new RegExp(`inputprobe: slot \\d+ abs x 0\\.\\.${VIRTIO_INPUT_ABS_MAX} y 0\\.\\.${VIRTIO_INPUT_ABS_MAX}`));
  });

  it("sends keys as Linux key codes, adding the Shift a keysym needs, each press a report", async () => {
    viewer.key("a".charCodeAt(0), true);
    viewer.key("a".charCodeAt(0), false);
    const plain = await events(4);
    expect(plain.map((e) => e.slice(1))).toEqual([[EV_KEY, KEY_A, 1], [EV_SYN, 0, 0], [EV_KEY, KEY_A, 0], [EV_SYN, 0, 0]]);
    const kbd = plain[0][0];
    viewer.key("A".charCodeAt(0), true);
    viewer.key("A".charCodeAt(0), false);
    // No Shift held on the client: the translator presses it around the key's press.
    expect((await events(8)).map((e) => e.slice(1))).toEqual([
      [EV_KEY, KEY_LEFTSHIFT, 1], [EV_SYN, 0, 0], [EV_KEY, KEY_A, 1], [EV_SYN, 0, 0], [EV_KEY, KEY_LEFTSHIFT, 0], [EV_SYN, 0, 0],
      [EV_KEY, KEY_A, 0], [EV_SYN, 0, 0],
    ]);
    viewer.key(XK_SHIFT_L, true);
    viewer.key("A".charCodeAt(0), true);
    viewer.key("A".charCodeAt(0), false);
    viewer.key(XK_SHIFT_L, false);
    const shifted = await events(8);
    expect(shifted.every((e) => e[0] === kbd)).toBe(true);
    expect(shifted.filter((e) => e[1] === EV_KEY).map((e) => e.slice(2))).toEqual([[KEY_LEFTSHIFT, 1], [KEY_A, 1], [KEY_A, 0], [KEY_LEFTSHIFT, 0]]);
  });

  it("takes the LEDs the guest sets on its status queue", async () => {
    viewer.key(XK_CAPS_LOCK, true);
    viewer.key(XK_CAPS_LOCK, false);
    const [down] = await events(4);
    expect(down.slice(1)).toEqual([EV_KEY, KEY_CAPSLOCK, 1]);
    await probe.waitFor(new RegExp(`led ${down[0]} 1`));
    // With the guest's Caps Lock on, 'a' is typed as the key alone, 'A' needs Shift taken away.
    viewer.key("A".charCodeAt(0), true);
    viewer.key("A".charCodeAt(0), false);
    expect((await events(4)).filter((e) => e[1] === EV_KEY).map((e) => e.slice(2))).toEqual([[KEY_A, 1], [KEY_A, 0]]);
  });

  it("places the pointer absolutely: the viewer's pixel scaled to the tablet's axes, with its buttons", async () => {
    const { width, height } = viewer.fb;
    const at = (v: number, size: number) => Math.round((v * VIRTIO_INPUT_ABS_MAX) / (size - 1));
    viewer.pointer(width - 1, Math.floor(height / 2), 1);
    viewer.pointer(10, 20, 0);
    const moves = await events(8);
    expect(moves.map((e) => e.slice(1))).toEqual([
      [EV_ABS, ABS_X, VIRTIO_INPUT_ABS_MAX], [EV_ABS, ABS_Y, at(Math.floor(height / 2), height)], [EV_KEY, BTN_LEFT, 1], [EV_SYN, 0, 0],
      [EV_ABS, ABS_X, at(10, width)], [EV_ABS, ABS_Y, at(20, height)], [EV_KEY, BTN_LEFT, 0], [EV_SYN, 0, 0],
    ]);
  });

  it("keeps delivering after a kill -9 of the framebuffer service: its buffers are sent to the new one", async () => {
    const pid = host.servicePid("vnc");
    const before = probe.text.length;
    process.kill(pid, "SIGKILL");
    await eventually("the framebuffer service restarted", async () => host.runningPid("vnc"), (p) => p !== undefined && p !== pid);
    viewer.close();
    viewer = await eventually("a viewer reconnected", async () => TestRfbClient.connect(port).catch(() => undefined), (v) => v !== undefined) as TestRfbClient;
    await viewer.update(false);
    // The restarted service takes the keys once the kernel has given it the guest's buffers again
    // (until then they go to the console as text): type until the guest sees them.
    await eventually("a key typed after the restart reaching the guest", async () => {
      viewer.key("b".charCodeAt(0), true);
      viewer.key("b".charCodeAt(0), false);
      await new Promise((r) => setTimeout(r, 200));
      return /^ev \d+ 1 48 1\r?$/m.test(probe.text.slice(before));
    }, (ok) => ok);
    seen = [...probe.text.matchAll(/^ev /gm)].length;
    viewer.key("a".charCodeAt(0), true);
    viewer.key("a".charCodeAt(0), false);
    expect((await events(4)).filter((e) => e[1] === EV_KEY).map((e) => e.slice(2))).toEqual([[KEY_A, 1], [KEY_A, 0]]);
  });
});

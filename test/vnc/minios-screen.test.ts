// A paravirtual screen end to end, the guest's side: minios's fbfront and kbdfront (mode=screen)
// connect to the framebuffer service through the store (Xen's xenbus handshake for vfb and vkbd),
// draw the test pattern and say so on the console. The VNC side (a client connecting, comparing
// the pixels with the pattern guests/minios/README.md defines, typing) comes with the service.
//
// xend plugs a vfb and a vkbd for `vfb = [ 'type=vnc' ]` and waits for their backend's InitWait
// before the domain runs, so this test fails (`xm create`: "the vfb backend did not set up the
// screen (vfb 0) within 15 s") until the framebuffer service exists and serves them.

import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GuestConsole } from "../support/guest-console.js";
import { hostForTests, XM, eventually } from "../toolstack/host.js";
import { MINIOS } from "../support/guest-images.js";

const host = hostForTests();
const dir = host.dir;

function config(name: string, extra: string): string {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, [
    `name = '${name}'`, "builder = 'linux'", `kernel = '${MINIOS}'`, "memory = 32",
    "vfb = [ 'type=vnc' ]", `extra = '${extra}'`, "on_crash = 'destroy'", "",
  ].join("\n"));
  return file;
}

describe("minios's fbfront and kbdfront on a screen served by the framebuffer service", () => {
  it("mode=screen connects the framebuffer and the keyboard, draws the pattern and says `screen up`; xm shutdown ends it", async () => {
    const r = await host.xm("create", config("scr1", "mode=screen fb=640x480 name=scr1"));
    expect(r.code, r.stderr).toBe(0);
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "console", "scr1"]);
    try {
      await c.waitFor("minios: booting on Domus (domain scr1, 32 MiB)");
      await c.waitFor(/minios: screen up 640x480|minios: screen FAILED: .*/);
      expect(c.text).not.toContain("FAILED");
      await c.waitFor(/minios: screen: framebuffer device 0 port \d+ \(300 pages, [^)]*\); keyboard connected/);

      const s = await host.xm("shutdown", "-w", "scr1");
      expect(s.code, s.stderr).toBe(0);
      await c.waitFor("minios: shutdown requested (poweroff)");
      expect(await c.exitCode()).toBe(0); // the console ends with the domain
    } finally {
      c.kill();
    }
    await eventually("scr1 gone", () => host.row("scr1"), (r) => r === undefined);
  }, 120_000);
});

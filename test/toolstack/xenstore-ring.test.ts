// A PV guest's xenstore ring, end to end: minios (mode=xenstore) under `domus up` writes, reads
// and watches its own keys through the kernel's relay and the store; Debian's xenstore tools,
// on the store's socket, see its keys and poke the one it watches.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GuestConsole } from "../support/guest-console.js";
import { hostForTests, XM, eventually } from "./host.js";
import { MINIOS } from "../support/guest-images.js";

const host = hostForTests();
const dir = host.dir;
let xs1Domid = "";

/** A Xen xenstore tool on the host's store socket. */
function xs(cmd: string, ...args: string[]): { out: string; err: string; status: number | null } {
  const env = { ...process.env, XENSTORED_PATH: join(host.home, "run/xenstored/socket") };
  const r = spawnSync(cmd, args, { env, encoding: "utf8", timeout: 30_000 });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

describe("a PV guest's xenstore ring", () => {
  it("minios writes, reads and watches its own keys; xenstore-read/-write see and poke them", async () => {
    const cfg = join(dir, "xs1.cfg");
    writeFileSync(cfg, `name = 'xs1'\nbuilder = 'linux'\nkernel = '${MINIOS}'\nmemory = 16\nextra = 'mode=xenstore'\n`);
    const created = await host.xm("create", cfg);
    expect(created.code, created.stderr).toBe(0);
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "console", "xs1"]);
    try {
      const idLine = await c.waitFor(/minios: xenstore domid (\d+)/);
      const domid = /minios: xenstore domid (\d+)/.exec(idLine)![1];
      await c.waitFor("minios: xenstore ok");
      const home = `/local/domain/${domid}`;
      xs1Domid = domid;

      // The home has the toolstack's layout; the guest's own key is there.
      expect(xs("xenstore-read", `${home}/name`).out.trim()).toBe("xs1");
      expect(xs("xenstore-read", `${home}/domid`).out.trim()).toBe(domid);
      const vm = xs("xenstore-read", `${home}/vm`).out.trim();
      expect(vm).toMatch(/^\/vm\/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
      expect(xs("xenstore-read", `${vm}/name`).out.trim()).toBe("xs1");
      expect(xs("xenstore-read", `${home}/memory/target`).out.trim()).toBe(String(16 * 1024));
      expect(xs("xenstore-read", `${home}/console/ring-ref`).out.trim()).toMatch(/^\d+$/);
      expect(xs("xenstore-read", `${home}/console/port`).out.trim()).toMatch(/^[1-9]\d*$/);
      const hello = xs("xenstore-read", `${home}/data/hello`);
      expect(hello.status, hello.err).toBe(0);
      expect(hello.out.trim()).toBe("world");

      // The guest's watch fires; it reads the new value and prints it.
      expect(xs("xenstore-write", `${home}/data/poke`, "42").status).toBe(0);
      await c.waitFor(`minios: watch data/poke = 42`);
      expect(xs("xenstore-write", `${home}/data/poke`, "43").status).toBe(0);
      await c.waitFor(`minios: watch data/poke = 43`);

    } finally {
      c.kill();
    }
  });

  it("survives a kill -9 of the store: the ring carries on, and destroying the domain releases it", async () => {
    const home = `/local/domain/${xs1Domid}`;
    const storeLog = (): string => readFileSync(join(host.home, "log/store.log"), "utf8");
    const connected = `domain ${xs1Domid} (xs1) connected`;
    const before = storeLog().split(connected).length;
    process.kill(host.servicePid("store"), "SIGKILL");
    // The supervisor restarts the store; the kernel's relay connects again on its own.
    await eventually("the relay to reconnect", async () => storeLog(), (t) => t.split(connected).length > before);
    expect(xs("xenstore-read", `${home}/data/hello`).out.trim()).toBe("world");

    // The guest's watch survived: the relay registered it again on the new connection.
    const c1 = GuestConsole.command(process.execPath, [XM, "--home", host.home, "console", "xs1"]);
    try {
      await eventually("the write after the restart", async () => xs("xenstore-write", `${home}/data/poke`, "44"), (r) => r.status === 0);
      await c1.waitFor(`minios: watch data/poke = 44`);
    } finally {
      c1.kill();
    }

    // A domain created now gets its ring served too.
    writeFileSync(join(dir, "xs2.cfg"), `name = 'xs2'\nbuilder = 'linux'\nkernel = '${MINIOS}'\nmemory = 16\nextra = 'mode=xenstore'\n`);
    expect((await host.xm("create", join(dir, "xs2.cfg"))).code).toBe(0);
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "console", "xs2"]);
    try {
      await c.waitFor("minios: xenstore ok");
    } finally {
      c.kill();
    }

    // Destroying xs1 ends its relay's connection: RELEASE, and the toolstack's home is removed.
    expect(xs("xenstore-exists", home).status).toBe(0);
    expect((await host.xm("destroy", "xs1")).code).toBe(0);
    await eventually("xs1's home removed", async () => xs("xenstore-exists", home), (r) => r.status !== 0);
  });
});

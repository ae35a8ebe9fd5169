// xm shutdown / xm reboot of paravirtual guests, as Xen does it: xend writes control/shutdown in
// the store, minios (watching it) clears it and shuts itself down with that reason, and xend
// applies on_poweroff / on_reboot. HVM domains, which have no shutdown channel, are stopped by
// the kernel; without the store, xend says so and falls back to the kernel.

import { describe, expect, it } from "vitest";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { XsClient } from "../../services/store/client.js";
import { requestGuestShutdown } from "../../tools/xend/shutdown-request.js";
import { storeSocketOf, StoreUnavailable } from "../../tools/xend/store-session.js";
import { GuestConsole } from "../support/guest-console.js";
import { UBOOT_MMODE } from "../support/firmware.js";
import { hostForTests, XM, eventually } from "./host.js";
import { MINIOS } from "../support/guest-images.js";

const host = hostForTests();
const dir = host.dir;

function config(name: string, extra: string, more = ""): string {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, `name = '${name}'\nbuilder = 'linux'\nkernel = '${MINIOS}'\nmemory = 16\nextra = '${extra}'\n${more}`);
  return file;
}

function console(name: string): GuestConsole {
  return GuestConsole.command(process.execPath, [XM, "--home", host.home, "console", name]);
}

/** The value of a store node, or undefined if it does not exist. */
async function storeRead(path: string): Promise<string | undefined> {
  const c = await XsClient.connect(storeSocketOf(host.home));
  try {
    return (await c.read(path)).toString();
  } catch {
    return undefined;
  } finally {
    c.close();
  }
}

/** Create a PV domain and wait until its home is in the store (its ring is connected). */
async function createPv(name: string, extra: string, more = ""): Promise<{ id: string; c: GuestConsole }> {
  const created = await host.xm("create", config(name, extra, more));
  expect(created.code, created.stderr).toBe(0);
  const id = (await host.row(name))![1];
  const c = console(name);
  await c.waitFor("minios: ready");
  await eventually(`${name}'s home in the store`, () => storeRead(`/local/domain/${id}/name`), (v) => v === name);
  return { id, c };
}

const xendLog = (): string => readFileSync(join(host.home, "log/xend.log"), "utf8");

describe("xm shutdown / reboot of a PV guest", () => {
  it("xm shutdown: the guest acknowledges control/shutdown and powers off; on_poweroff destroys it", async () => {
    const { id, c } = await createPv("pvoff", "mode=idle tick=200 name=pvoff");
    try {
      const r = await host.xm("shutdown", "pvoff");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      await c.waitFor("minios: shutdown requested (poweroff)");
      expect(await c.exitCode()).toBe(0); // the console ends with the domain
    } finally {
      c.kill();
    }
    await eventually("pvoff gone", () => host.row("pvoff"), (x) => x === undefined);
    expect(xendLog()).toContain(`domain ${id} (pvoff): control/shutdown = poweroff written`);
    expect(xendLog()).toContain(`domain ${id} (pvoff) stopped: poweroff; action destroy`);
  });

  it("xm reboot -w: the guest reboots itself; on_reboot restarts it under a new id, banner and all", async () => {
    const { id, c } = await createPv("pvre", "mode=idle tick=200 name=pvre");
    try {
      const r = await host.xm("reboot", "-w", "pvre");
      expect(r.code, r.stderr).toBe(0);
      await c.waitFor("minios: shutdown requested (reboot)");
      expect(await c.exitCode()).toBe(0);
    } finally {
      c.kill();
    }
    const back = await eventually("pvre back under a new id", () => host.row("pvre"), (x) => x !== undefined && x[1] !== id);
    expect(Number(back![1])).toBeGreaterThan(Number(id));
    expect(xendLog()).toContain(`domain ${id} (pvre) stopped: reboot; action restart`);
    const c2 = console("pvre");
    try {
      await c2.waitFor("minios: booting on Domus (domain pvre, 16 MiB)");
      await c2.waitFor("minios: ready");
    } finally {
      c2.kill();
    }
    expect((await host.xm("destroy", "pvre")).code).toBe(0);
  });

  it("a guest that uses xenstore itself (mode=xenstore) takes the request too", async () => {
    const { c } = await createPv("pvxs", "mode=xenstore");
    try {
      await c.waitFor("minios: xenstore ok");
      expect((await host.xm("shutdown", "-w", "pvxs")).code).toBe(0);
      await c.waitFor("minios: shutdown requested (poweroff)");
    } finally {
      c.kill();
    }
    expect(await host.row("pvxs")).toBeUndefined();
  });

  it("the guest clears control/shutdown to acknowledge (seen with on_poweroff = 'preserve')", async () => {
    const { id, c } = await createPv("pvkeep", "mode=idle name=pvkeep", "on_poweroff = 'preserve'\n");
    try {
      expect((await host.xm("shutdown", "pvkeep")).code).toBe(0);
      await c.waitFor("minios: shutdown requested (poweroff)");
    } finally {
      c.kill();
    }
    await eventually("pvkeep shut down", () => host.row("pvkeep"), (x) => x?.[4] === "---s--");
    expect(await storeRead(`/local/domain/${id}/control/shutdown`)).toBe("");
    expect((await host.xm("destroy", "pvkeep")).code).toBe(0);
  });

  it("a guest that does not act (paused) is left running: xm shutdown -w gives up after 30 s and says so", async () => {
    const { id, c } = await createPv("pvdeaf", "mode=idle name=pvdeaf");
    try {
      expect((await host.xm("pause", "pvdeaf")).code).toBe(0);
      const r = await host.xm("shutdown", "-w", "pvdeaf");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Domain 'pvdeaf' did not shut down within 30 s of the request (control/shutdown); it is still running");
      expect((await host.row("pvdeaf"))?.[1]).toBe(id);
      await eventually("xend's note", async () => xendLog(), (t) => t.includes(`domain ${id} (pvdeaf) did not act on control/shutdown = poweroff within 30 s; it is left running`));
      // The request stays in the store: unpaused, the guest takes it.
      expect((await host.xm("unpause", "pvdeaf")).code).toBe(0);
      await c.waitFor("minios: shutdown requested (poweroff)");
    } finally {
      c.kill();
    }
    await eventually("pvdeaf gone", () => host.row("pvdeaf"), (x) => x === undefined);
  }, 90_000);

  it("an HVM domain has no shutdown channel: the kernel stops it, as before", async () => {
    const file = join(dir, "hvm1.cfg");
    writeFileSync(file, `name = 'hvm1'\nbuilder = 'hvm'\nmemory = 128\nvcpus = 1\nbios = '${UBOOT_MMODE}'\n`);
    expect((await host.xm("create", file)).code).toBe(0);
    const id = (await host.row("hvm1"))![1];
    const r = await host.xm("shutdown", "-w", "hvm1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(await host.row("hvm1")).toBeUndefined();
    expect(xendLog()).toContain(`domain ${id} (hvm1) stopped: poweroff; action destroy`);
    expect(xendLog()).not.toContain(`domain ${id} (hvm1): control/shutdown`);
  });

  it("when the store cannot be reached, xm says so and the kernel stops the domain", async () => {
    const { id, c } = await createPv("pvnostore", "mode=idle name=pvnostore");
    c.kill();
    const socket = storeSocketOf(host.home);
    renameSync(socket, `${socket}.away`); // as if the store were not running
    try {
      const r = await host.xm("shutdown", "pvnostore");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Warning: the store is not running (${socket}: ENOENT)`);
      expect(r.stderr).toContain("the kernel stops 'pvnostore' instead, without its OS shutting down");
    } finally {
      renameSync(`${socket}.away`, socket);
    }
    await eventually("pvnostore gone", () => host.row("pvnostore"), (x) => x === undefined);
    expect(xendLog()).toContain(`domain ${id} (pvnostore) stopped: poweroff; action destroy`);
  });

  it("without the store, or for a domain not in it, the request cannot be written and says why", async () => {
    await expect(requestGuestShutdown(join(dir, "no-store.sock"), 5, "poweroff")).rejects.toThrow(StoreUnavailable);
    await expect(requestGuestShutdown(join(dir, "no-store.sock"), 5, "poweroff")).rejects.toThrow(/the store is not running/);
    await expect(requestGuestShutdown(storeSocketOf(host.home), 999, "poweroff")).rejects.toThrow(/domain 999 has no \/local\/domain\/999/);
    expect(await storeRead("/local/domain/999")).toBeUndefined();
  });
});

// HVM guests under xm, as the manual's user runs them: M-mode U-Boot domains created from config
// files, their consoles, pause/unpause, credit-scheduler settings, the lifecycle actions of
// on_reboot / on_poweroff, and guests that survive a restart of xend.

import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GuestConsole } from "../support/guest-console.js";
import { reachUbootPrompt, UBOOT_MMODE, UBOOT_PROMPT } from "../support/firmware.js";
import { hostForTests, XM, eventually, listRows } from "./host.js";

const host = hostForTests();
const dir = host.dir;

function config(name: string, extra = ""): string {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, `name = '${name}'\nbuilder = 'hvm'\nmemory = 128\nvcpus = 1\nbios = '${UBOOT_MMODE}'\n${extra}`);
  return file;
}

function console(...args: string[]): GuestConsole {
  return GuestConsole.command(process.execPath, [XM, "--home", host.home, ...args]);
}

describe("HVM U-Boot domains under xm", () => {
  it("xm create -c boots to the U-Boot prompt; Ctrl-] detaches and the guest runs on", async () => {
    const c = console("create", "-c", config("uboot1"));
    await c.waitFor("Started domain uboot1");
    await reachUbootPrompt(c);
    expect(await c.run("version", UBOOT_PROMPT)).toContain("U-Boot");
    c.type("\x1d");
    expect(await c.exitCode()).toBe(0);
    const r = await host.row("uboot1");
    expect(r?.[2]).toBe("128");
    expect(r?.[4]).toMatch(/^(r-----|-b----)$/);
  });

  it("pauses, unpauses and sets the credit weight", async () => {
    expect((await host.xm("pause", "uboot1")).code).toBe(0);
    expect((await host.row("uboot1"))?.[4]).toBe("--p---");
    expect((await host.xm("unpause", "uboot1")).code).toBe(0);
    expect((await host.row("uboot1"))?.[4]).toMatch(/^(r-----|-b----)$/);
    expect((await host.xm("sched-credit", "-d", "uboot1", "-w", "512", "-c", "50")).code).toBe(0);
    const table = (await host.xm("sched-credit", "-d", "uboot1")).stdout;
    expect(table).toMatch(/^uboot1 +\d+ +512 +50$/m);
  });

  it("xm vcpu-pin moves a running domain to another pCPU at once; xm vcpu-list shows where it runs", async () => {
    const vcpu = async (): Promise<string[] | undefined> =>
      (await host.xm("vcpu-list", "uboot1")).stdout.split("\n").map((line) => line.trim().split(/\s+/)).find((cells) => cells[0] === "uboot1");
    for (const cpu of ["1", "0"]) {
      const pin = await host.xm("vcpu-pin", "uboot1", "0", cpu);
      expect(pin.code).toBe(0);
      expect(pin.stderr).not.toContain("next start");
      // Name ID VCPU CPU State Time(s) CPU-Affinity: U-Boot polls its console, so it runs where it may.
      const row = await eventually(`uboot1 on pCPU ${cpu}`, vcpu, (cells) => cells?.[3] === cpu);
      expect(row?.[6]).toBe(cpu);
    }
    expect((await host.xm("vcpu-pin", "uboot1", "all", "all")).code).toBe(0);
    expect((await vcpu())?.slice(6).join(" ")).toBe("any cpu");
    const bad = await host.xm("vcpu-pin", "uboot1", "0", "7");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("there is no pCPU 7");
  });

  it("keeps running guests across a kill -9 of xend, and their consoles answer", async () => {
    const before = listRows((await host.xm("list")).stdout).map((r) => r.slice(0, 3));
    process.kill(host.servicePid("xend"), "SIGKILL");
    const after = await eventually("xm list after the xend restart", async () => host.xm("list"), (r) => r.code === 0);
    expect(listRows(after.stdout).map((r) => r.slice(0, 3))).toEqual(before);
    const c = console("console", "uboot1");
    c.type("\r");
    await c.waitFor(UBOOT_PROMPT);
    expect(await c.run("echo still-here", UBOOT_PROMPT)).toContain("still-here");
    c.type("\x1d");
    expect(await c.exitCode()).toBe(0);
  });

  it("restarts a domain that reboots (on_reboot = 'restart') under a new id", async () => {
    const id = (await host.row("uboot1"))?.[1];
    const c = console("console", "uboot1");
    c.type("\r");
    await c.waitFor(UBOOT_PROMPT);
    c.type("reset\r");
    expect(await c.exitCode()).toBe(0); // the old domain goes away
    const r = await eventually("uboot1 back under a new id", () => host.row("uboot1"), (x) => x !== undefined && x[1] !== id);
    expect(Number(r?.[1])).toBeGreaterThan(Number(id));
  });

  it("destroys a domain that powers off, and preserves one with on_poweroff = 'preserve'", async () => {
    for (const [name, action] of [["off1", "destroy"], ["off2", "preserve"]] as const) {
      const c = console("create", "-c", config(name, `on_poweroff = '${action}'\n`));
      await reachUbootPrompt(c);
      c.type("poweroff\r");
      if (action === "destroy") {
        expect(await c.exitCode()).toBe(0);
        await eventually(`${name} gone`, () => host.row(name), (x) => x === undefined);
      } else {
        await eventually(`${name} shut down`, () => host.row(name), (x) => x?.[4] === "---s--");
        c.kill();
        expect((await host.xm("destroy", name)).code).toBe(0);
      }
    }
  });

  it("rename-restart keeps the stopped domain as Domain-<uuid> and starts a new one under its name", async () => {
    const c = console("create", "-c", config("again1", "on_poweroff = 'rename-restart'\n"));
    await reachUbootPrompt(c);
    const oldId = (await host.row("again1"))?.[1];
    c.type("poweroff\r");
    const renamed = await eventually("the stopped domain renamed", async () => listRows((await host.xm("list")).stdout),
      (rows) => rows.some((r) => /^Domain-[0-9a-f-]{36}$/.test(r[0]) && r[1] === oldId));
    expect(renamed.find((r) => r[1] === oldId)?.[4]).toBe("---s--");
    const fresh = await eventually("again1 restarted", () => host.row("again1"), (r) => r !== undefined && r[1] !== oldId);
    expect(fresh?.[1]).not.toBe(oldId);
    c.kill();
    expect((await host.xm("destroy", "again1")).code).toBe(0);
    expect((await host.xm("destroy", oldId as string)).code).toBe(0);
  });

  it("xm destroy ends a domain at once", async () => {
    expect((await host.xm("destroy", "uboot1")).code).toBe(0);
    expect(await host.row("uboot1")).toBeUndefined();
  });
});

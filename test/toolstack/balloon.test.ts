// xm mem-set of a running paravirtual guest, as Xen does it: xend writes the domain's
// memory/target, the guest's balloon driver (minios's) gives pages back to the hypervisor or
// takes them again, and `xm list` and `xm info` show what the domain holds and what is free. A
// domain built with maxmem above its memory can grow up to maxmem.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GuestConsole } from "../support/guest-console.js";
import { eventually, hostForTests, listRows } from "./host.js";
import { MINIOS } from "../support/guest-images.js";

const host = hostForTests();
let guest: GuestConsole;

async function memOf(name: string): Promise<number> {
  return Number(listRows((await host.xm("list")).stdout).find((r) => r[0] === name)?.[2]);
}

async function freeMemory(): Promise<number> {
  return Number(/^free_memory\s*:\s*(\d+)/m.exec((await host.xm("info")).stdout)?.[1]);
}

beforeAll(async () => {
  guest = host.createWithConsole("bal", `name = 'bal'\nbuilder = 'linux'\nkernel = '${MINIOS}'\nmemory = 32\nmaxmem = 48\nextra = 'mode=idle tick=200'\n`);
  await guest.waitFor("minios: ready");
});
afterAll(() => guest?.kill());

describe("xm mem-set on a running domain", () => {
  it("shrinks the guest through its balloon: xm list shows the new size and xm info the memory freed", async () => {
    expect(await memOf("bal")).toBe(32);
    const free = await freeMemory();
    const r = await host.xm("mem-set", "bal", "20");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    await guest.waitFor("minios: balloon 20480 KiB");
    await eventually("xm list showing 20 MiB", () => memOf("bal"), (m) => m === 20);
    expect(await freeMemory()).toBe(free + 12);
    // The guest keeps running on what it has left.
    const ticks = (guest.text.match(/minios: tick \d+/g) ?? []).length;
    await eventually("more ticks", async () => (guest.text.match(/minios: tick \d+/g) ?? []).length, (n) => n > ticks + 1);
  });

  it("grows it again, past what it was built with, up to maxmem", async () => {
    const free = await freeMemory();
    expect((await host.xm("mem-set", "bal", "32")).code).toBe(0);
    await guest.waitFor("minios: balloon 32768 KiB");
    await eventually("xm list showing 32 MiB", () => memOf("bal"), (m) => m === 32);
    expect((await host.xm("mem-set", "bal", "48")).code).toBe(0);
    // 48 MiB less the hypervisor's 8 pages at the top: all minios can hold.
    await guest.waitFor("minios: balloon 49120 KiB");
    await eventually("xm list showing 48 MiB", () => memOf("bal"), (m) => m === 48);
    // The host counts pages and shows whole MiB: the 8 pages above 20 MiB may tip a rounding.
    expect(Math.abs(free - 28 - (await freeMemory()))).toBeLessThanOrEqual(1);
    expect(guest.text).not.toContain("FAILED");
  });

  it("refuses a size above the domain's maximum, naming it", async () => {
    const r = await host.xm("mem-set", "bal", "64");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/above the domain's maximum of 48 MiB/);
    expect(await memOf("bal")).toBe(48);
  });
});

describe("xm mem-max on a running domain", () => {
  it("lowers its maximum at once: a target above it is refused, and the guest balloons down to it", async () => {
    const r = await host.xm("mem-max", "bal", "40");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(""); // no "at its next start" warning: it holds now
    expect((await host.xm("list", "-l", "bal")).stdout).toMatch(/\(maxmem 40\)/);
    expect((await host.xm("mem-set", "bal", "44")).stderr).toMatch(/above the domain's maximum of 40 MiB/);
    expect((await host.xm("mem-set", "bal", "40")).code).toBe(0);
    await guest.waitFor("minios: balloon 40960 KiB");
    await eventually("xm list showing 40 MiB", () => memOf("bal"), (m) => m === 40);
  });

  it("raises it again within the room the domain was built with; more waits for its next start", async () => {
    const r = await host.xm("mem-max", "bal", "44");
    expect(r.stderr).toBe("");
    expect((await host.xm("mem-set", "bal", "43")).code).toBe(0);
    await guest.waitFor("minios: balloon 44032 KiB");
    await eventually("xm list showing 43 MiB", () => memOf("bal"), (m) => m === 43);
    const more = await host.xm("mem-max", "bal", "64");
    expect(more.code).toBe(0);
    expect(more.stderr).toMatch(/built with room for 48 MiB .*'bal' gets maxmem 64 MiB at its next start/);
    expect(guest.text).not.toContain("FAILED");
  });
});


// xm vcpu-set of a running paravirtual guest, as Xen does it: xend writes cpu/<n>/availability
// in the domain's home, the guest (minios) stops or starts those vCPUs through SBI HSM, and
// `xm list`, `xm list -l` and `xm vcpu-list` show the vCPUs it has up. More vCPUs than the domain
// was built with wait for its next start.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GuestConsole } from "../support/guest-console.js";
import { eventually, hostForTests } from "./host.js";
import { MINIOS } from "../support/guest-images.js";

const host = hostForTests();
let guest: GuestConsole;

async function vcpusOf(name: string): Promise<string | undefined> {
  return (await host.row(name))?.[3];
}

/** `xm vcpu-list NAME`: each row's cells (Name ID VCPU CPU State Time(s) CPU-Affinity). */
async function vcpuRows(name: string): Promise<string[][]> {
  return (await host.xm("vcpu-list", name)).stdout.split("\n").map((line) => line.trim().split(/\s+/)).filter((cells) => cells[0] === name);
}

const count = (text: string, line: string): number => text.split("\n").filter((l) => l.trim() === line).length;

beforeAll(async () => {
  guest = host.createWithConsole("smp", `name = 'smp'\nbuilder = 'linux'\nkernel = '${MINIOS}'\nmemory = 16\nvcpus = 2\nextra = 'mode=idle tick=200'\n`);
  // Its home says both are online: minios brings vCPU 1 up as it boots.
  await guest.waitFor("minios: vCPU 1 online");
});
afterAll(() => guest?.kill());

describe("xm vcpu-set on a running domain", () => {
  it("takes a vCPU down: the guest stops it, and xm list, list -l and vcpu-list show one", async () => {
    await eventually("xm list showing 2 vCPUs", () => vcpusOf("smp"), (n) => n === "2");
    const r = await host.xm("vcpu-set", "smp", "1");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(""); // no "at its next start": it holds now
    await guest.waitFor("minios: vCPU 1 offline");
    await eventually("xm list showing 1 vCPU", () => vcpusOf("smp"), (n) => n === "1");
    expect((await host.xm("list", "-l", "smp")).stdout).toMatch(/\(online_vcpus 1\)/);
    const rows = await vcpuRows("smp");
    expect(rows.map((cells) => [cells[2], cells[3], cells[4]])).toEqual([["0", expect.stringMatching(/^\d+$/), expect.stringMatching(/^(r--|-b-)$/)], ["1", "-", "--p"]]);
    // The guest goes on on the vCPU it kept.
    const ticks = (guest.text.match(/minios: tick \d+/g) ?? []).length;
    await eventually("more ticks", async () => (guest.text.match(/minios: tick \d+/g) ?? []).length, (n) => n > ticks + 1);
  });

  it("brings it back up", async () => {
    expect((await host.xm("vcpu-set", "smp", "2")).stderr).toBe("");
    await eventually("vCPU 1 online again", async () => count(guest.text, "minios: vCPU 1 online"), (n) => n === 2);
    await eventually("xm list showing 2 vCPUs", () => vcpusOf("smp"), (n) => n === "2");
    expect((await vcpuRows("smp"))[1][4]).not.toBe("--p");
    expect(guest.text).not.toContain("FAILED");
  });

  it("keeps more vCPUs than the domain was built with for its next start, saying so", async () => {
    const r = await host.xm("vcpu-set", "smp", "3");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/built with 2 vCPUs, and a running domain gets no more; 'smp' gets 3 vCPUs at its next start/);
    expect(await vcpusOf("smp")).toBe("2");
  });
});

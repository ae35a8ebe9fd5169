// The kernel process runs several domains at once under the credit scheduler: weights share CPU
// in proportion, a cap holds a domain down, and a guest that touches memory it does not own
// faults without disturbing the others. Each test starts a real kernel process in its own home.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KernelClient } from "../../tools/kernel-client.js";
import type { DomainInfo, DomainSpec } from "../../kernel/public/protocol.js";
import { MINIOS } from "../support/guest-images.js";
import { GNTST_permission_denied } from "../../kernel/public/xen/grant-table.js";

const KERNEL_MAIN = fileURLToPath(new URL("../../dist/kernel/host/kernel-main.js", import.meta.url));
const probe = (name: string): string => fileURLToPath(new URL(`../../guests/isa/bin/${name}.elf`, import.meta.url));

let home: string;
let kernel: ChildProcess;
let client: KernelClient;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "domus-kernel-"));
  kernel = spawn(process.execPath, [KERNEL_MAIN, "--home", home], { stdio: ["ignore", "ignore", "pipe"] });
  // The socket file appears when the kernel binds it, a moment before it listens: retry.
  for (let i = 0; ; i++) {
    try {
      client = await KernelClient.connect(home);
      break;
    } catch (e) {
      if (i >= 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

afterEach(async () => {
  client?.close();
  kernel.kill("SIGKILL");
  await rm(home, { recursive: true, force: true });
});

function spec(name: string, kernelElf: string, memoryMiB = 16, cpus: number[] = []): DomainSpec {
  return { name, builder: "hvm", memoryMiB, maxmemMiB: memoryMiB, vcpus: 1, cpus, bios: null, kernel: kernelElf };
}

async function cpuSeconds(): Promise<Map<string, number>> {
  const list: DomainInfo[] = await client.listDomains();
  return new Map(list.map((d) => [d.name, d.cpuTimeNs / 1e9]));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("the credit scheduler", () => {
  it("gives two CPU-bound domains with weights 256 and 512 on one pCPU CPU time in the ratio 1:2 (within 10%)", async () => {
    // Weights share a pCPU that both want: with one pCPU each, both would simply run.
    const light = await client.createDomain(spec("light", probe("probe_spin"), 16, [0]));
    const heavy = await client.createDomain(spec("heavy", probe("probe_spin"), 16, [0]));
    await client.sched(light, { weight: 256 });
    await client.sched(heavy, { weight: 512 });
    const before = await cpuSeconds();
    await sleep(10_000);
    const after = await cpuSeconds();
    const l = after.get("light")! - before.get("light")!;
    const h = after.get("heavy")! - before.get("heavy")!;
    expect(h / l).toBeGreaterThan(1.8);
    expect(h / l).toBeLessThan(2.2);
  }, 30_000);

  it("holds a domain with cap 25 to at most 27% of one pCPU", async () => {
    const capped = await client.createDomain(spec("capped", probe("probe_spin")));
    await client.sched(capped, { cap: 25 });
    const before = (await cpuSeconds()).get("capped")!;
    const t0 = performance.now();
    await sleep(5_000);
    const used = (await cpuSeconds()).get("capped")! - before;
    const wall = (performance.now() - t0) / 1000;
    expect(used / wall).toBeLessThanOrEqual(0.27);
    expect(used / wall).toBeGreaterThan(0.15); // it does run
  }, 20_000);
});

describe("pCPUs", () => {
  it("runs two CPU-bound domains at once, each on the pCPU it is pinned to", async () => {
    expect((await client.info()).pcpus).toBeGreaterThanOrEqual(2);
    await client.createDomain(spec("left", probe("probe_spin"), 16, [0]));
    await client.createDomain(spec("right", probe("probe_spin"), 16, [1]));
    await sleep(500);
    const before = await cpuSeconds();
    const t0 = performance.now();
    await sleep(3_000);
    const after = await cpuSeconds();
    const wall = (performance.now() - t0) / 1000;
    const used = (name: string): number => after.get(name)! - before.get(name)!;
    // One pCPU at a time could never give them more than the wall-clock time between them.
    expect((used("left") + used("right")) / wall).toBeGreaterThan(1.5);
    const list = await client.listDomains();
    expect(list.find((d) => d.name === "left")).toMatchObject({ cpus: [0], lastCpus: [0] });
    expect(list.find((d) => d.name === "right")).toMatchObject({ cpus: [1], lastCpus: [1] });
  }, 20_000);

  it("runs the two vCPUs of one paravirtual domain at once, on two pCPUs, losing no atomic update", async () => {
    await client.subscribe(["console", "domain"]);
    const text = consoles();
    let stopped: string | undefined;
    client.onEvent((e) => { if (e.event === "domain" && e.state !== "running") stopped = e.reason ?? e.state; });
    const domid = await client.createDomain({
      name: "smp", builder: "linux", memoryMiB: 16, maxmemMiB: 16, vcpus: 2, cpus: [], bios: null, kernel: probe("probe_pv_smp"),
    });
    await sleep(300);
    const cpu = async (): Promise<number> => (await cpuSeconds()).get("smp")!;
    const before = await cpu();
    const t0 = performance.now();
    // Meanwhile, what xm vcpu-list shows: vCPU h ran on lastCpus[h % 2], one pCPU per lane.
    let lanes: readonly number[] = [];
    while (performance.now() - t0 < 800) {
      const last = (await client.listDomains()).find((d) => d.domid === domid)?.lastCpus ?? [];
      if (last.length === 2) lanes = last;
      await sleep(20);
    }
    const used = (await cpu()) - before;
    // One pCPU at a time could never give it more than the wall-clock time.
    expect(used / ((performance.now() - t0) / 1000)).toBeGreaterThan(1.3);
    expect([...lanes].sort()).toEqual([0, 1]);
    await until("the count to end", () => stopped !== undefined, 30_000);
    expect(stopped).toBe("poweroff");
    expect(text.get(domid)).toBe("smp ok\n");
  }, 40_000);

  it("moves a running domain to the pCPU it is pinned to, and refuses a pCPU the host lacks", async () => {
    const domid = await client.createDomain(spec("mover", probe("probe_spin"), 16, [0]));
    await sleep(300);
    expect((await client.listDomains()).find((d) => d.domid === domid)?.lastCpus).toEqual([0]);
    await client.setAffinity(domid, [1]);
    await sleep(300);
    expect((await client.listDomains()).find((d) => d.domid === domid)).toMatchObject({ cpus: [1], lastCpus: [1] });
    const { pcpus } = await client.info();
    await expect(client.setAffinity(domid, [pcpus])).rejects.toThrow(`there is no pCPU ${pcpus}; this host has ${pcpus}`);
    await expect(client.createDomain(spec("nowhere", probe("probe_spin"), 16, [pcpus + 3]))).rejects.toThrow(/nowhere: there is no pCPU/);
  }, 20_000);
});

describe("memory isolation", () => {
  it("faults a guest that touches memory outside its RAM, and the other domains run on", async () => {
    const spinner = await client.createDomain(spec("spinner", probe("probe_spin")));
    const events: string[] = [];
    await client.subscribe(["domain"]);
    client.onEvent((e) => { if (e.event === "domain") events.push(`${e.domid}:${e.state}:${e.reason ?? ""}`); });
    const prober = await client.createDomain(spec("prober", probe("probe_outside_ram"), 64));
    for (let i = 0; i < 100 && !events.includes(`${prober}:shutdown:poweroff`); i++) await sleep(50);
    // The probe saw both accesses fault (it powers off cleanly only then).
    expect(events).toContain(`${prober}:shutdown:poweroff`);
    const t = (await cpuSeconds()).get("spinner")!;
    await sleep(500);
    const list = await client.listDomains();
    const s = list.find((d) => d.domid === spinner)!;
    expect(s.state).toBe("running");
    expect(s.cpuTimeNs / 1e9).toBeGreaterThan(t);
  }, 20_000);
});

const UBOOT_MMODE = "/usr/lib/u-boot/qemu-riscv64/u-boot.bin";

function pv(name: string, extra: string): DomainSpec {
  return { name, builder: "linux", memoryMiB: 16, maxmemMiB: 16, vcpus: 1, cpus: [], bios: null, kernel: MINIOS, extra: extra === "" ? undefined : extra };
}

/** Console text of every domain, from the kernel's console events. */
function consoles(): Map<number, string> {
  const text = new Map<number, string>();
  client.onEvent((e) => {
    if (e.event === "console") text.set(e.domid, (text.get(e.domid) ?? "") + Buffer.from(e.data).toString("latin1"));
  });
  return text;
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(50)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

describe("several domains at once", () => {
  it("runs a U-Boot HVM domain and three minios domains, each with its own console, pause and destroy", async () => {
    await client.subscribe(["console", "domain"]);
    const text = consoles();
    const uboot = await client.createDomain({ ...spec("uboot", ""), kernel: undefined, bios: UBOOT_MMODE, memoryMiB: 64, maxmemMiB: 64 });
    const minis: number[] = [];
    for (const n of [1, 2, 3]) minis.push(await client.createDomain(pv(`mini${n}`, `mode=idle tick=100 name=mini${n}`)));
    await until("U-Boot's autoboot", () => (text.get(uboot) ?? "").includes("autoboot"));
    await client.consoleWrite(uboot, new TextEncoder().encode("\r"));
    await until("U-Boot's prompt", () => (text.get(uboot) ?? "").includes("=> "));
    await client.consoleWrite(uboot, new TextEncoder().encode("version\r"));
    await until("U-Boot's version", () => (text.get(uboot) ?? "").includes("U-Boot 2023.01"));
    for (const [i, id] of minis.entries()) {
      await until(`mini${i + 1} ticking`, () => (text.get(id) ?? "").includes("minios: tick 2"));
      expect(text.get(id)).toContain(`(domain mini${i + 1}, 16 MiB)`);
    }
    const list = await client.listDomains();
    expect(list.map((d) => d.name)).toEqual(["uboot", "mini1", "mini2", "mini3"]);

    await client.pause(minis[0]);
    expect((await client.listDomains()).find((d) => d.domid === minis[0])!.state).toBe("paused");
    const ticks = (text.get(minis[0]) ?? "").match(/tick \d+/g)!.length;
    await sleep(500);
    expect((text.get(minis[0]) ?? "").match(/tick \d+/g)!.length).toBe(ticks);
    await client.unpause(minis[0]);
    await until("mini1 ticking again", () => (text.get(minis[0]) ?? "").match(/tick \d+/g)!.length > ticks + 1);

    await client.destroy(minis[1]);
    expect((await client.listDomains()).map((d) => d.name)).toEqual(["uboot", "mini1", "mini3"]);
  }, 60_000);

  // share=copy: each side copies the other's granted page (GNTTABOP_copy). share=map: the client
  // maps the server's page, reads the offer and writes its reply there, and the server finds the
  // reply in its own page once the client has unmapped it (docs/hypervisor.md, grant maps).
  it.each([
    ["copy", "minios: exchange ok (4096 bytes)"],
    ["map", "minios: exchange ok (4096 bytes, mapped)"],
  ])("lets two minios domains exchange events and granted pages (share=%s)", async (share, done) => {
    await client.subscribe(["console", "domain"]);
    const text = consoles();
    const server = await client.createDomain(pv("server", ""));
    await client.destroy(server); // learn the next ids: domids are handed out in order
    const s = await client.createDomain(pv("server", `mode=server peer=${server + 2} share=${share} name=server`));
    const c = await client.createDomain(pv("client", `mode=client peer=${s} share=${share} name=client`));
    const stopped = new Set<number>();
    client.onEvent((e) => { if (e.event === "domain" && e.state === "shutdown" && e.reason === "poweroff") stopped.add(e.domid); });
    await until("both exchanges", () => [s, c].every((id) => (text.get(id) ?? "").includes(done)));
    await until("both to power off", () => stopped.has(s) && stopped.has(c));
  }, 60_000);

  it.each([
    ["copy", "copy from domain"],
    ["map", "map domain"],
  ])("gives a grant (share=%s) only to the domain the grant names", async (share, what) => {
    await client.subscribe(["console"]);
    const text = consoles();
    const first = await client.createDomain(pv("probe", ""));
    await client.destroy(first);
    // The server binds its port for the client (first+2) but grants its page to first+3.
    const s = await client.createDomain(pv("server", `mode=server peer=${first + 2} grantee=${first + 3} share=${share} timeout=3000`));
    const c = await client.createDomain(pv("client", `mode=client peer=${s} share=${share} timeout=3000`));
    await until("the client to fail", () => (text.get(c) ?? "").includes(`minios: exchange FAILED: ${what} ${s} grant 8: status ${GNTST_permission_denied}`));
  }, 60_000);

  it("sends a subscriber that names domains only their console output", async () => {
    await client.subscribe(["console"], []);
    const text = consoles();
    const a = await client.createDomain(pv("tick-a", "mode=idle tick=50"));
    const b = await client.createDomain(pv("tick-b", "mode=idle tick=50"));
    await sleep(500);
    expect(text.size).toBe(0);
    await client.subscribe(["console"], [b]);
    await until("b's ticks", () => /tick \d+/.test(text.get(b) ?? ""));
    await sleep(300);
    expect([...text.keys()]).toEqual([b]);
    await client.subscribe(["console"]);
    await until("a's ticks too", () => /tick \d+/.test(text.get(a) ?? ""));
  }, 60_000);
});

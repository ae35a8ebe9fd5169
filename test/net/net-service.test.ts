// The network service under `domus up`, seen from the host: a scapy peer on br0's socket talks
// ARP and ICMP with a minios guest; `domus brctl show` and `domus net ports` list the bridge and
// its vif ports; `domus net capture` writes a ping exchange that tshark reads; and a kill -9 of the
// service in the middle of a ping stream costs at most 2 s of pings.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { GuestConsole } from "../support/guest-console.js";
import { DOMUS, TestHost, XM, eventually, listRows } from "../toolstack/host.js";
import { startClient } from "./stream-client.js";
import { MINIOS } from "../support/guest-images.js";

const PEER_MAC = "00:16:3e:aa:00:09";

let host: TestHost;
let dir: string;
const consoles: GuestConsole[] = [];

function config(name: string, extra: string): string {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, [
    `name = '${name}'`, "builder = 'linux'", `kernel = '${MINIOS}'`, "memory = 16",
    "vif = [ 'bridge=br0' ]", `extra = 'mode=net name=${name} ${extra}'`, "on_poweroff = 'destroy'", "",
  ].join("\n"));
  return file;
}

async function create(name: string, extra: string): Promise<GuestConsole> {
  const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", config(name, extra)]);
  consoles.push(c);
  await c.waitFor(new RegExp(`Started domain ${name} \\(id=(\\d+)\\)`));
  await c.waitFor(/minios: net up /);
  return c;
}

beforeAll(async () => {
  host = new TestHost();
  dir = mkdtempSync(join(tmpdir(), "domus-netsvc-"));
  await host.up();
});
afterAll(async () => {
  for (const c of consoles) c.kill();
  await host.down();
  rmSync(dir, { recursive: true, force: true });
});

describe("the network service", () => {
  it("a scapy peer on br0's socket resolves a guest with ARP and gets its ICMP echo replies", async () => {
    const a = await create("svca", "ip=10.0.0.1");
    const macA = /minios: net up 10\.0\.0\.1 mac (\S+)/.exec(a.text)![1];
    const peer = startClient(join(host.home, "run/net/br0.sock"), PEER_MAC, ["ip=10.0.0.9", "ping=10.0.0.1", "ping=10.0.0.1"]);
    const lines = await peer.done;
    expect(lines.filter((l) => l.step === "ping")).toEqual([
      { step: "ping", mac: macA, from: "10.0.0.1", payload: true },
      { step: "ping", mac: macA, from: "10.0.0.1", payload: true },
    ]);
  });

  it("domus brctl show lists br0 with the vif; domus net ports counts what the guest sent and got", async () => {
    const id = listRows((await host.xm("list")).stdout).find((r) => r[0] === "svca")?.[1];
    const brctl = await host.domus("brctl", "show");
    expect(brctl.code).toBe(0);
    expect(brctl.stdout).toMatch(/^bridge name\tbridge id\t\tSTP enabled\tinterfaces$/m);
    expect(brctl.stdout).toMatch(new RegExp(`^br0\\t\\t8000\\.[0-9a-f]{12}\\tno\\t\\t.*vif${id}\\.0`, "ms"));
    const ports = JSON.parse((await host.domus("net", "ports", "--json")).stdout) as { name: string; rxPackets: number; txPackets: number; rxErrors: number }[];
    const vif = ports.find((p) => p.name === `vif${id}.0`);
    // At least an ARP reply and two echo replies went out of the guest; the requests came in.
    expect(vif?.rxPackets).toBeGreaterThanOrEqual(3);
    expect(vif?.txPackets).toBeGreaterThanOrEqual(3);
    expect(vif?.rxErrors).toBe(0);
  });

  it("domus net top shows a port's rates every second", async () => {
    const id = listRows((await host.xm("list")).stdout).find((r) => r[0] === "svca")?.[1];
    const top = spawn(process.execPath, [DOMUS, "net", "top", `vif${id}.0`], { env: { ...process.env, ...host.env } });
    let out = "";
    top.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
    await eventually("two rate lines", async () => out, (t) => (t.match(/^RX /gm) ?? []).length >= 2, 10_000);
    top.kill();
    expect(out).toMatch(new RegExp(`^vif${id}\\.0 on br0: rates over the last second`, "m"));
    expect(out).toMatch(/^RX +[\d.]+[KM]?b +\d+ pkt\/s +TX +[\d.]+[KM]?b +\d+ pkt\/s +dropped \d+ +errors \d+$/m);
    const missing = await host.domus("net", "top", "vif999.0");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("there is no port vif999.0");
  });

  it("xm network-attach puts a second NIC on br1 (made on demand); network-list shows both; network-detach takes it away", async () => {
    const id = listRows((await host.xm("list")).stdout).find((r) => r[0] === "svca")?.[1];
    const attach = await host.xm("network-attach", "svca", "mac=00:16:3e:00:00:42", "bridge=br1", "rate=10Mb/s@20ms");
    expect(attach.code).toBe(0);
    const list = (await host.xm("network-list", "svca")).stdout;
    expect(list).toMatch(/^Idx +BE +MAC Addr\. +handle +state +evt-ch +tx-\/rx-ring-ref +BE-path$/m);
    expect(list).toMatch(new RegExp(`^1 +0 +00:16:3e:00:00:42 +1 +2 +-1 +-1/-1 +/local/domain/0/backend/vif/${id}/1$`, "m"));
    expect((await host.domus("brctl", "show")).stdout).toMatch(new RegExp(`^br1\t\t8000\.[0-9a-f]{12}\tno\t\tvif${id}\.1$`, "m"));
    expect((await host.xm("network-detach", "svca", "1")).code).toBe(0);
    expect((await host.xm("network-list", "svca")).stdout).not.toMatch(/^1 /m);
    await eventually("vif gone from br1", async () => (await host.domus("brctl", "show")).stdout, (t) => !t.includes(`vif${id}.1`));
    const bad = await host.xm("network-attach", "svca", "mac=00:16:3e:00:00:43", "rate=fast");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/rate "fast"/);
  });

  it("domus net capture writes a ping exchange that tshark reads", async () => {
    const pcap = join(dir, "ping.pcap");
    const capture = host.domus("net", "capture", "br0", pcap, "--seconds", "4");
    await new Promise((r) => setTimeout(r, 500));
    const b = await create("svcb", "ip=10.0.0.2 ping=10.0.0.1 count=3");
    await b.waitFor("minios: ping done 3/3");
    const r = await capture;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ packets captured/);
    const fields = execFileSync("tshark", ["-r", pcap, "-T", "fields", "-e", "frame.protocols", "-e", "arp.opcode", "-e", "icmp.type", "-e", "ip.src", "-e", "ip.dst"]).toString();
    const rows = fields.trim().split("\n").map((l) => l.split("\t"));
    expect(rows.some((f) => f[0] === "eth:ethertype:arp" && f[1] === "1")).toBe(true);
    expect(rows.some((f) => f[0] === "eth:ethertype:arp" && f[1] === "2")).toBe(true);
    expect(rows.filter((f) => f[2] === "8" && f[3] === "10.0.0.2" && f[4] === "10.0.0.1")).toHaveLength(3);
    expect(rows.filter((f) => f[2] === "0" && f[3] === "10.0.0.1" && f[4] === "10.0.0.2")).toHaveLength(3);
    expect((await host.xm("destroy", "svcb")).code).toBe(0);
  });

  it("a vif's rate=10Mb/s holds what the guest sends to 10 Mb/s within 10% over 5 s", async () => {
    await create("svcs", "ip=10.0.0.5");
    const file = join(dir, "svcr.cfg");
    writeFileSync(file, [
      "name = 'svcr'", "builder = 'linux'", `kernel = '${MINIOS}'`, "memory = 16",
      "vif = [ 'bridge=br0,rate=10Mb/s@20ms' ]", "extra = 'mode=net name=svcr ip=10.0.0.4 flood=10.0.0.5:9 duration=12000'", "",
    ].join("\n"));
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", file]);
    consoles.push(c);
    await c.waitFor(/minios: flood 10\.0\.0\.5 is at /);
    const id = listRows((await host.xm("list")).stdout).find((r) => r[0] === "svcr")?.[1];
    const sent = async (): Promise<number> => {
      const ports = JSON.parse((await host.domus("net", "ports", "--json")).stdout) as { name: string; rxBytes: number }[];
      return ports.find((p) => p.name === `vif${id}.0`)?.rxBytes ?? NaN;
    };
    await new Promise((r) => setTimeout(r, 1000)); // past the first window's burst
    const t0 = performance.now();
    const b0 = await sent();
    await new Promise((r) => setTimeout(r, 5000));
    const b1 = await sent();
    const seconds = (performance.now() - t0) / 1000;
    const mbps = ((b1 - b0) * 8) / seconds / 1e6;
    expect(mbps).toBeGreaterThan(9);
    expect(mbps).toBeLessThan(11);
    expect((await host.xm("destroy", "svcr")).code).toBe(0);
    expect((await host.xm("destroy", "svcs")).code).toBe(0);
  });

  it("kill -9 of the service under a ping stream: it comes back and the pings resume within 2 s", async () => {
    const interval = 20;
    const b = await create("svcc", `ip=10.0.0.3 ping=10.0.0.1 count=400 interval=${interval}`);
    await b.waitFor("minios: ping 10.0.0.1 seq 50 ok");
    const pid = host.servicePid("net");
    process.kill(pid, "SIGKILL");
    await eventually("the network service restarted", async () => host.runningPid("net"), (p) => p !== undefined && p !== pid);
    await b.waitFor(/minios: ping done \d+\/400/, 60_000);
    const results = [...b.text.matchAll(/minios: ping 10\.0\.0\.1 seq (\d+) (ok|lost)/g)].map((m) => m[2]);
    let run = 0;
    let longest = 0;
    for (const r of results) {
      run = r === "lost" ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(results).toHaveLength(400);
    expect(results.slice(-50).every((r) => r === "ok")).toBe(true);
    expect(longest * interval).toBeLessThanOrEqual(2000);
  });
});

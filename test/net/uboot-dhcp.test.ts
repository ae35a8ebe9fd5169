// An HVM guest's virtio-net NIC on a bridge with an uplink to the host through passt, as the
// manual's network-bridge script gives xenbr0 the host's interface: U-Boot gets an address with
// DHCP and pings the gateway. The host runs in a network namespace of the test's own, so "the
// host" passt reaches is that namespace; passt's options keep it on loopback besides.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestConsole } from "../support/guest-console.js";
import { reachUbootPrompt, UBOOT_MMODE, UBOOT_PROMPT } from "../support/firmware.js";
import { TestHost, XM } from "../toolstack/host.js";
import { startClient, stepOf } from "./stream-client.js";

let host: TestHost;
let dir: string;

beforeAll(async () => {
  host = new TestHost();
  dir = mkdtempSync(join(tmpdir(), "domus-net-"));
  mkdirSync(host.home, { recursive: true });
  writeFileSync(join(host.home, "xend-config.sxp"), "(network-script 'network-bridge bridge=br0')\n");
  await host.upInNetns();
});
afterAll(async () => {
  await host.down();
});

describe("an HVM guest's NIC through the bridge's passt uplink", () => {
  it("U-Boot: dhcp gets 10.0.2.15 and ping reaches the gateway; a second guest gets 10.0.2.16 from a passt of its own", async () => {
    const cfg = join(dir, "netboot.cfg");
    writeFileSync(cfg, `name = 'netboot'\nbuilder = 'hvm'\nmemory = 128\nbios = '${UBOOT_MMODE}'\nvif = [ 'mac=00:16:3e:00:00:01,bridge=br0' ]\n`);
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", cfg]);
    await c.waitFor("Started domain netboot");
    await reachUbootPrompt(c);
    const dhcp = await c.run("dhcp", UBOOT_PROMPT, 60_000);
    expect(dhcp).toContain("DHCP client bound to address 10.0.2.15");
    expect(await c.run("ping 10.0.2.2", UBOOT_PROMPT, 30_000)).toContain("host 10.0.2.2 is alive");
    const list = await host.xm("network-list", "netboot");
    expect(list.stdout).toMatch(/^0 +0 +00:16:3e:00:00:01 +0 +4 +-1 +-1\/-1 +\/local\/domain\/0\/backend\/vif\/\d+\/0$/m);
    // A second guest on the same bridge (a scapy peer on br0's socket) gets its own passt and
    // the next address, and reaches the gateway too, while U-Boot keeps its own.
    const peer = startClient(join(host.home, "run/net/br0.sock"), "00:16:3e:00:00:02", ["dhcp", "ping=gw"]);
    const lines = await peer.done;
    expect(stepOf(lines, "dhcp")).toMatchObject({ address: "10.0.2.16", router: "10.0.2.2" });
    expect(stepOf(lines, "ping")).toMatchObject({ from: "10.0.2.2" });
    expect(await c.run("ping 10.0.2.2", UBOOT_PROMPT, 30_000)).toContain("host 10.0.2.2 is alive");
    c.type("\x1d");
    await c.exitCode();
    expect((await host.xm("destroy", "netboot")).code).toBe(0);
  });
});

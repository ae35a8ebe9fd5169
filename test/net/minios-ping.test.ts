// A paravirtual network end to end: two minios domains (mode=net) connect their netfronts to the
// network service through the store (Xen's xenbus handshake) and talk over the bridge through
// the netif tx and rx rings. B resolves A's address with ARP and pings it; A answers the ARP
// request and every ICMP echo request.

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
    `name = '${name}'`, "builder = 'linux'", `kernel = '${MINIOS}'`, "memory = 16",
    "vif = [ 'bridge=br0' ]", `extra = 'mode=net name=${name} ${extra}'`, "",
  ].join("\n"));
  return file;
}

/** `xm create -c`: the console from the domain's first line. */
async function create(name: string, extra: string): Promise<GuestConsole> {
  const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", config(name, extra)]);
  await c.waitFor(new RegExp(`Started domain ${name} \\(id=\\d+\\)`));
  return c;
}

describe("minios's netfront on the network service's bridge", () => {
  it("B resolves A with ARP and pings it: 5 echo requests, 5 replies", async () => {
    const a = await create("neta", "ip=10.0.0.1");
    let b: GuestConsole | undefined;
    try {
      await a.waitFor("minios: ready");
      await a.waitFor(/minios: net up 10\.0\.0\.1 mac 00:16:3e(:[0-9a-f]{2}){3}\r?\n/);
      b = await create("netb", "ip=10.0.0.2 ping=10.0.0.1 count=5");
      await b.waitFor(/minios: net up 10\.0\.0\.2 mac 00:16:3e(:[0-9a-f]{2}){3}\r?\n/);
      const macA = /minios: net up 10\.0\.0\.1 mac (\S+)/.exec(a.text)![1];
      await b.waitFor(`minios: ping 10.0.0.1 is at ${macA}`);
      await b.waitFor("minios: ping done 5/5");
      // One line per reply, in order; none lost.
      expect(b.text.match(/minios: ping 10\.0\.0\.1 seq \d+ \w+/g)).toEqual([1, 2, 3, 4, 5].map((n) => `minios: ping 10.0.0.1 seq ${n} ok`));
      expect(a.text + b.text).not.toContain("FAILED");
      // mode=net never ends on its own: both are still there, blocked while no packet comes.
      for (const name of ["neta", "netb"]) await eventually(`${name} blocked`, () => host.row(name), (r) => r?.[4].includes("b") === true, 5000);
    } finally {
      a.kill();
      b?.kill();
    }
    for (const name of ["netb", "neta"]) {
      expect((await host.xm("destroy", name)).code).toBe(0);
      await eventually(`${name} gone`, () => host.row(name), (r) => r === undefined);
    }
  }, 120_000);

  it("gives up on a peer nobody answers for, and on a flood to it, once the ARP timeout passes", async () => {
    const cases = [
      ["netc", "ip=10.0.0.3 ping=10.0.0.99 timeout=600", "minios: ping 10.0.0.99 unreachable: no ARP reply in 600 ms"],
      ["netd", "ip=10.0.0.4 flood=10.0.0.98:7 timeout=400", "minios: flood 10.0.0.98 unreachable: no ARP reply in 400 ms"],
    ];
    for (const [name, extra, line] of cases) {
      const c = await create(name, extra);
      try {
        await c.waitFor(line);
      } finally {
        c.kill();
      }
      expect((await host.xm("destroy", name)).code).toBe(0);
    }
  }, 60_000);
});

// The uplink through Debian's passt, with a scapy guest on the bridge's socket: DHCP from passt
// across the bridge, the host's loopback services reached through the gateway address, and
// nothing at all leaving the host.
//
// What could leave is checked in a network namespace the test makes (unshare, no root needed):
// there passt sees an interface, v0, with a route to the world, and v0's counters must not move.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Bridge } from "../../services/net/bridge.js";
import { PasstUplink, passtArguments, DEFAULT_GATEWAY, DEFAULT_GUEST_ADDRESS } from "../../services/net/passt-uplink.js";
import { StreamListener } from "../../services/net/stream-socket.js";
import { startClient, stepOf } from "./stream-client.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-passt-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const GUEST_MAC = "00:16:3e:12:34:56";

/** A bridge with a socket for guests and passt as its uplink. */
async function bridgeWithUplink(name: string, command?: string[]) {
  const bridge = new Bridge(name);
  const socket = join(dir, `${name}.sock`);
  const listener = await StreamListener.listen(bridge, socket);
  cleanups.push(() => listener.close());
  const uplink = await PasstUplink.start(bridge, { runDir: join(dir, `passt-${name}`), command });
  cleanups.push(() => uplink.stop());
  return { bridge, socket, uplink };
}

/**
 * Runs passt in a new user and network namespace whose "host" has one interface, v0, holding the
 * gateway address (so a ping to the gateway is a ping to this host) and a default route beyond it.
 * Ping sockets are allowed there for root, as they are not on every host.
 */
function inNamespace(): string[] {
  const setup = [
    "set -e",
    "ip link set lo up",
    "ip link add v0 type veth peer name v1",
    // No IPv6 on the pair, so the kernel's own solicitations do not move the counters.
    "echo 1 > /proc/sys/net/ipv6/conf/v0/disable_ipv6",
    "echo 1 > /proc/sys/net/ipv6/conf/v1/disable_ipv6",
    `ip addr add ${DEFAULT_GATEWAY}/24 dev v0`,
    "ip link set v0 up",
    "ip link set v1 up",
    "ip route add default via 10.0.2.1",
    // One ARP request per unresolved address, not three a second apart.
    "echo 1 > /proc/sys/net/ipv4/neigh/v0/mcast_solicit",
    'echo "0 0" > /proc/sys/net/ipv4/ping_group_range',
    // Proof that v0 counts what leaves: one datagram by the namespace's own stack (its ARP).
    `/usr/bin/python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('10.0.2.3', 9))"`,
    // unshare maps us to root inside; passt would switch from root to nobody, who is unmapped.
    process.getuid?.() === 0 ? 'exec "$0" "$@"' : 'exec "$0" --runas 0:0 "$@"',
  ].join("\n");
  return ["unshare", "--user", "--map-root-user", "--net", "sh", "-c", setup, "passt"];
}

/** Packets sent by an interface of the namespace passt runs in. */
async function txPackets(pid: number, iface: string): Promise<number> {
  const dev = await readFile(`/proc/${pid}/net/dev`, "utf8");
  const line = dev.split("\n").find((l) => l.trim().startsWith(`${iface}:`));
  if (line === undefined) throw new Error(`no ${iface} in the namespace of ${pid}: ${dev}`);
  return Number(line.split(":")[1].trim().split(/\s+/)[9]);
}

describe("passt uplink", () => {
  it("keeps passt on loopback by its command line", () => {
    const args = passtArguments("/run/s", "/run/l", { runDir: "/run" });
    const after = (opt: string) => args[args.indexOf(opt) + 1];
    expect(after("--outbound-if4")).toBe("lo");
    expect(after("--outbound")).toBe("127.0.0.1");
    expect(after("--dns")).toBe("none");
    expect(args).toEqual(expect.arrayContaining(["--ipv4-only", "--no-ndp", "--no-dhcpv6", "--no-ra", "--one-off"]));
    expect(after("--tcp-ports")).toBe("none");
    expect(after("--udp-ports")).toBe("none");
  });

  it("gives a guest DHCP and answers its ping to the gateway, and lets nothing out", async () => {
    const { bridge, socket, uplink } = await bridgeWithUplink("xenbr1", inNamespace());
    const before = await txPackets(uplink.pid!, "v0");
    expect(before).toBeGreaterThan(0);

    const guest = startClient(socket, GUEST_MAC, ["dhcp", "ping=gw", "noreply=10.0.2.3", "noreply=198.51.100.7"]);
    const lines = await guest.done;
    expect(stepOf(lines, "dhcp")).toMatchObject({
      offer: DEFAULT_GUEST_ADDRESS, address: DEFAULT_GUEST_ADDRESS, router: DEFAULT_GATEWAY,
      mask: "255.255.255.0", mtu: 1500, server: DEFAULT_GATEWAY,
    });
    // --dns none: no resolver is offered.
    expect(stepOf(lines, "dhcp").dns).toBeNull();
    expect(stepOf(lines, "ping")).toMatchObject({ from: DEFAULT_GATEWAY, payload: true });
    // An address on v0's link and one behind its default route: ICMP, UDP and TCP to them got
    // no answer, and nothing went out through v0.
    expect(lines.filter((l) => l.step === "noreply")).toHaveLength(2);
    expect(await txPackets(uplink.pid!, "v0")).toBe(before);

    const counters = bridge.port("uplink")!.counters;
    expect(counters.txPackets).toBeGreaterThanOrEqual(2 + 1 + 1 + 3 * 2); // DHCP, ARP, echo, probes
    expect(counters.rxPackets).toBeGreaterThanOrEqual(2 + 1 + 1); // OFFER, ACK, ARP reply, echo reply
    expect(counters.rxErrors).toBe(0);
  });

  it("lets a guest reach a service on the host's 127.0.0.1 through the gateway address", async () => {
    const peers: string[] = [];
    const echo: Server = createServer((s) => {
      peers.push(s.remoteAddress ?? "");
      // The guest's end goes away with a reset when its client exits: the echo is what is checked.
      s.on("error", () => {});
      s.pipe(s);
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => echo.close(resolve)));
    const port = (echo.address() as AddressInfo).port;

    const { socket } = await bridgeWithUplink("xenbr2");
    const lines = await startClient(socket, GUEST_MAC, ["dhcp", `tcp=gw:${port}:hello through passt`]).done;
    expect(stepOf(lines, "tcp").echo).toBe("hello through passt");
    expect(peers).toEqual(["127.0.0.1"]);
  });

  it("does not answer ARP for the other guests on the bridge", async () => {
    const { bridge, socket } = await bridgeWithUplink("xenbr5");
    const b = startClient(socket, "00:16:3e:00:00:0b", ["ip=10.0.2.21", "serve=1"]);
    await b.connected;
    for (const deadline = Date.now() + 5000; bridge.show().interfaces.length < 2 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const lines = await startClient(socket, GUEST_MAC, ["ip=10.0.2.20", "ping=10.0.2.21", `arp=${DEFAULT_GATEWAY}`]).done;
    await b.done;
    expect(stepOf(lines, "ping").mac).toBe("00:16:3e:00:00:0b");
    expect(stepOf(lines, "arp").mac).toBe("9a:55:9a:55:9a:55");
  });

  it("leaves the bridge when stopped, and passt exits", async () => {
    const { bridge, uplink } = await bridgeWithUplink("xenbr3");
    expect(bridge.show().interfaces).toEqual(["uplink"]);
    await uplink.stop();
    expect(await uplink.exited).toMatch(/^passt exited with status 0/);
    expect(bridge.show().interfaces).toEqual([]);
  });

  it("says why passt could not start", async () => {
    const bridge = new Bridge("xenbr4");
    await expect(PasstUplink.start(bridge, { runDir: join(dir, "bad"), command: ["passt", "--no-such-option"] }))
      .rejects.toThrow("the network uplink could not start: passt exited with status 1: passt: unrecognized option '--no-such-option'");
    expect(bridge.show().interfaces).toEqual([]);
  });
});

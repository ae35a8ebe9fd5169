// Two guests, played by scapy over QEMU's stream framing, on one bridge's Unix socket: they find
// each other by ARP and exchange ICMP echoes, which both sides and the bridge's counters confirm.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bridge, type BridgeLink } from "../../services/net/bridge.js";
import type { Port } from "../../services/net/port.js";
import { StreamListener } from "../../services/net/stream-socket.js";
import { startClient, stepOf } from "./stream-client.js";

/** A bridge that remembers every port it had, so counters can be read after a client left. */
class RecordingBridge extends Bridge {
  readonly had = new Map<string, Port>();
  override attach(port: Port): BridgeLink {
    this.had.set(port.name, port);
    return super.attach(port);
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-net-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !ok();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const MAC_A = "00:16:3e:00:00:0a";
const MAC_B = "00:16:3e:00:00:0b";

describe("two guests on a bridge socket", () => {
  it("exchange ARP and ICMP echo through the bridge", async () => {
    const bridge = new RecordingBridge("xenbr0");
    const path = join(dir, "run", "net", "xenbr0.sock");
    const logs: string[] = [];
    const listener = await StreamListener.listen(bridge, path, { log: (m) => logs.push(m) });
    try {
      const b = startClient(path, MAC_B, ["ip=10.9.0.2", "serve=2"]);
      await b.connected;
      await until("B is on the bridge", () => bridge.show().interfaces.length === 1);
      const a = startClient(path, MAC_A, ["ip=10.9.0.1", "ping=10.9.0.2", "ping=10.9.0.2"]);
      const [linesA, linesB] = await Promise.all([a.done, b.done]);

      // A's side: B answered ARP with its own address, and echoed both payloads.
      const pings = linesA.filter((l) => l.step === "ping");
      expect(pings).toEqual([
        { step: "ping", mac: MAC_B, from: "10.9.0.2", payload: true },
        { step: "ping", mac: MAC_B, from: "10.9.0.2", payload: true },
      ]);
      // B's side: the requests came from A.
      const served = stepOf(linesB, "serve");
      expect(served.arpRequests).toEqual([{ mac: MAC_A, ip: "10.9.0.1" }, { mac: MAC_A, ip: "10.9.0.1" }]);
      expect(served.echoRequests).toEqual([{ mac: MAC_A, ip: "10.9.0.1" }, { mac: MAC_A, ip: "10.9.0.1" }]);

      // The bridge: B connected first (sock0). Each side sent 2 ARP and 2 ICMP frames, and got the
      // other's 4; the requests were broadcast, but only two ports were there to see them.
      const portB = bridge.had.get("sock0")!;
      const portA = bridge.had.get("sock1")!;
      for (const port of [portA, portB]) {
        expect(port.counters).toMatchObject({ rxPackets: 4, txPackets: 4, rxErrors: 0, txDropped: 0, rxDropped: 0 });
      }
      expect(portA.counters.rxBytes).toBe(portB.counters.txBytes);
      expect(portB.counters.rxBytes).toBe(portA.counters.txBytes);
      await until("both clients left", () => bridge.show().interfaces.length === 0);
      expect(logs).toEqual(expect.arrayContaining(["sock0 connected to xenbr0", "sock1 connected to xenbr0", "sock1 left xenbr0"]));
    } finally {
      await listener.close();
    }
  });
});

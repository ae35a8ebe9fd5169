import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bridge, bridgeMac, DEFAULT_AGEING_MS, type Direction } from "./bridge.js";
import { newCounters, type Port } from "./port.js";

/** A port that keeps what it is sent. */
class TestPort implements Port {
  readonly counters = newCounters();
  readonly got: Uint8Array[] = [];
  constructor(readonly name: string) {}
  deliver(frame: Uint8Array): void {
    this.got.push(frame);
    this.counters.txPackets++;
    this.counters.txBytes += frame.length;
  }
}

const mac = (n: number) => [0x00, 0x16, 0x3e, 0, 0, n];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const MULTICAST = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];

function frame(dst: number[], src: number[], length = 60, ethertype = 0x0800): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = ethertype >> 8;
  f[13] = ethertype & 0xff;
  return f;
}

/** A bridge with ports p0..p(n-1) and a controllable clock. */
function setup(n: number, opts: { ageingMs?: number; maxAddresses?: number } = {}) {
  const clock = { now: 0 };
  const bridge = new Bridge("xenbr0", { ...opts, now: () => clock.now });
  const ports = Array.from({ length: n }, (_, i) => new TestPort(`p${i}`));
  const links = ports.map((p) => bridge.attach(p));
  const clear = () => ports.forEach((p) => (p.got.length = 0));
  const receivers = () => ports.filter((p) => p.got.length > 0).map((p) => p.name);
  return { bridge, clock, ports, links, clear, receivers };
}

describe("bridge forwarding", () => {
  it("floods unknown unicast to every other port, then sends known unicast to its port only", () => {
    const { links, receivers, clear } = setup(4);
    links[0].input(frame(mac(2), mac(1)));
    expect(receivers()).toEqual(["p1", "p2", "p3"]);
    clear();
    // p2 answers: mac(1) is known behind p0.
    links[2].input(frame(mac(1), mac(2)));
    expect(receivers()).toEqual(["p0"]);
    clear();
    links[0].input(frame(mac(2), mac(1)));
    expect(receivers()).toEqual(["p2"]);
  });

  it("floods broadcast and multicast to every other port, learned or not", () => {
    const { links, receivers, clear } = setup(3);
    links[1].input(frame(mac(2), mac(1)));
    clear();
    for (const dst of [BROADCAST, MULTICAST]) {
      links[0].input(frame(dst, mac(9)));
      expect(receivers()).toEqual(["p1", "p2"]);
      clear();
    }
  });

  it("never sends a frame back to its input port", () => {
    const { links, ports, receivers, clear } = setup(2);
    links[0].input(frame(BROADCAST, mac(5)));
    expect(receivers()).toEqual(["p1"]);
    clear();
    // mac(5) is behind p0: a frame to it from p0 goes nowhere.
    links[0].input(frame(mac(5), mac(1)));
    expect(receivers()).toEqual([]);
    expect(ports[0].counters.rxPackets).toBe(2);
  });

  it("follows an address that moves to another port", () => {
    const { links, receivers, clear } = setup(3);
    links[0].input(frame(BROADCAST, mac(1)));
    links[1].input(frame(BROADCAST, mac(1)));
    clear();
    links[2].input(frame(mac(1), mac(3)));
    expect(receivers()).toEqual(["p1"]);
  });

  it("does not forward 802.1D link-local frames (STP, pause, LLDP)", () => {
    const { links, ports, receivers } = setup(3);
    for (const last of [0x00, 0x01, 0x0e]) links[0].input(frame([0x01, 0x80, 0xc2, 0, 0, last], mac(1)));
    expect(receivers()).toEqual([]);
    expect(ports[0].counters.rxPackets).toBe(3);
    links[0].input(frame([0x01, 0x80, 0xc2, 0, 0, 0x10], mac(1)));
    expect(receivers()).toEqual(["p1", "p2"]);
  });

  it("counts from the port's side: rx what it sent into the bridge, tx what it was given", () => {
    const { links, ports } = setup(3);
    links[0].input(frame(BROADCAST, mac(1), 100));
    links[1].input(frame(mac(1), mac(2), 200));
    expect(ports[0].counters).toMatchObject({ rxPackets: 1, rxBytes: 100, txPackets: 1, txBytes: 200 });
    expect(ports[1].counters).toMatchObject({ rxPackets: 1, rxBytes: 200, txPackets: 1, txBytes: 100 });
    expect(ports[2].counters).toMatchObject({ rxPackets: 0, txPackets: 1, txBytes: 100 });
  });
});

describe("bridge frame checks", () => {
  it("drops runts, oversized frames and group or zero source addresses as rxErrors", () => {
    const { links, ports, receivers } = setup(2);
    const bad = [
      new Uint8Array(0), new Uint8Array(13), frame(BROADCAST, mac(1), 1519), frame(BROADCAST, mac(1), 1522),
      frame(BROADCAST, MULTICAST), frame(BROADCAST, BROADCAST), frame(BROADCAST, [0, 0, 0, 0, 0, 0]),
    ];
    for (const f of bad) links[0].input(f);
    expect(ports[0].counters).toMatchObject({ rxErrors: bad.length, rxPackets: 0, rxBytes: 0 });
    expect(receivers()).toEqual([]);
  });

  it("takes 14-byte frames, 1518-byte frames, and 1522 bytes with one VLAN tag", () => {
    const { links, ports } = setup(2);
    links[0].input(frame(BROADCAST, mac(1), 14));
    links[0].input(frame(BROADCAST, mac(1), 1518));
    links[0].input(frame(BROADCAST, mac(1), 1522, 0x8100));
    links[0].input(frame(BROADCAST, mac(1), 1523, 0x8100));
    expect(ports[0].counters).toMatchObject({ rxPackets: 3, rxErrors: 1 });
    expect(ports[1].got.map((f) => f.length)).toEqual([14, 1518, 1522]);
  });

  it("never throws, and counts every frame once, whatever the bytes", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(2), fc.uint8Array({ maxLength: 1600 })), { maxLength: 50 }), (inputs) => {
      const { links, ports } = setup(3);
      for (const [i, f] of inputs) links[i].input(f);
      const rx = ports.reduce((n, p) => n + p.counters.rxPackets + p.counters.rxErrors, 0);
      expect(rx).toBe(inputs.length);
    }));
  });
});

describe("bridge learning", () => {
  it("forgets an address after the ageing time (300 s by default)", () => {
    const { links, clock, receivers, clear } = setup(3);
    links[1].input(frame(BROADCAST, mac(2)));
    clock.now = DEFAULT_AGEING_MS - 1;
    clear();
    links[0].input(frame(mac(2), mac(1)));
    expect(receivers()).toEqual(["p1"]);
    clock.now = DEFAULT_AGEING_MS;
    clear();
    links[0].input(frame(mac(2), mac(1)));
    expect(receivers()).toEqual(["p1", "p2"]);
  });

  it("keeps an address that keeps sending", () => {
    const { bridge, links, clock } = setup(2, { ageingMs: 1000 });
    for (let t = 0; t <= 5000; t += 500) {
      clock.now = t;
      links[1].input(frame(BROADCAST, mac(2)));
    }
    clock.now = 5900;
    expect(bridge.learned()).toEqual([{ mac: "00:16:3e:00:00:02", port: "p1", ageMs: 900 }]);
  });

  it("forgets a detached port's addresses, and ignores frames from it", () => {
    const { bridge, ports, links, receivers, clear } = setup(3);
    links[1].input(frame(BROADCAST, mac(2)));
    links[2].input(frame(BROADCAST, mac(3)));
    links[1].detach();
    expect(bridge.learned().map((e) => e.port)).toEqual(["p2"]);
    clear();
    links[1].input(frame(BROADCAST, mac(2)));
    expect(receivers()).toEqual([]);
    expect(ports[1].counters.rxPackets).toBe(1);
    // A port of the same name may come back, and starts afresh.
    const again = new TestPort("p1");
    bridge.attach(again);
    links[0].input(frame(mac(2), mac(1)));
    expect(again.got).toHaveLength(1);
    expect(ports[2].got).toHaveLength(1);
  });

  it("refuses a second port of the same name", () => {
    const { bridge } = setup(1);
    expect(() => bridge.attach(new TestPort("p0"))).toThrow("bridge xenbr0 already has a port p0");
  });

  it("learns no more than its limit; unknown addresses are flooded", () => {
    const { bridge, links, receivers, clear } = setup(3, { maxAddresses: 2 });
    for (const n of [1, 2, 3]) links[1].input(frame(BROADCAST, mac(n)));
    expect(bridge.learned().map((e) => e.mac)).toEqual(["00:16:3e:00:00:01", "00:16:3e:00:00:02"]);
    clear();
    links[0].input(frame(mac(3), mac(9)));
    expect(receivers()).toEqual(["p1", "p2"]);
  });

  it("forwards as a reference switch would, for any traffic", () => {
    // The model: a map from address to port, no ageing; floods otherwise, never back.
    const traffic = fc.array(fc.record({ port: fc.nat(3), src: fc.integer({ min: 1, max: 6 }), dst: fc.integer({ min: 0, max: 6 }) }), { maxLength: 60 });
    fc.assert(fc.property(traffic, (steps) => {
      const { links, ports, clear } = setup(4);
      const model = new Map<number, number>();
      for (const { port, src, dst } of steps) {
        clear();
        links[port].input(frame(dst === 0 ? BROADCAST : mac(dst), mac(src)));
        model.set(src, port);
        const known = dst === 0 ? undefined : model.get(dst);
        const expected = known === undefined ? [0, 1, 2, 3].filter((p) => p !== port) : known === port ? [] : [known];
        expect(ports.filter((p) => p.got.length > 0).map((p) => Number(p.name.slice(1)))).toEqual(expected);
        for (const p of ports) expect(p.got.length).toBeLessThanOrEqual(1);
      }
    }));
  });
});

describe("bridge taps", () => {
  it("shows a bridge tap each valid frame once, as it enters", () => {
    const { bridge, links } = setup(3);
    const seen: [string, Direction, number][] = [];
    const untap = bridge.tap((f, port, dir) => seen.push([port, dir, f.length]));
    links[0].input(frame(BROADCAST, mac(1), 60));
    links[1].input(frame(mac(1), mac(2), 70));
    links[2].input(new Uint8Array(5));
    untap();
    links[0].input(frame(BROADCAST, mac(1), 80));
    expect(seen).toEqual([["p0", "in", 60], ["p1", "in", 70]]);
  });

  it("shows a port tap what the port sends and what it is sent", () => {
    const { bridge, links } = setup(3);
    const seen: [string, Direction, number][] = [];
    const untap = bridge.tap((f, port, dir) => seen.push([port, dir, f.length]), "p1");
    links[0].input(frame(BROADCAST, mac(1), 60));
    links[1].input(frame(mac(1), mac(2), 70));
    links[2].input(frame(mac(1), mac(3), 80));
    untap();
    links[0].input(frame(BROADCAST, mac(1), 90));
    expect(seen).toEqual([["p1", "out", 60], ["p1", "in", 70]]);
  });
});

describe("bridge show", () => {
  it("lists what brctl show does: name, id from the bridge's address, no STP, sorted interfaces", () => {
    const bridge = new Bridge("xenbr0");
    for (const name of ["vif2.0", "uplink", "vif1.0"]) bridge.attach(new TestPort(name));
    expect(bridge.show()).toEqual({
      name: "xenbr0", id: `8000.${bridgeMac("xenbr0").replaceAll(":", "")}`, stp: "no", interfaces: ["uplink", "vif1.0", "vif2.0"],
    });
  });

  it("derives a stable 00:16:3e address per bridge, outside Xen's random range", () => {
    expect(bridgeMac("xenbr0")).toBe(bridgeMac("xenbr0"));
    expect(bridgeMac("xenbr0")).not.toBe(bridgeMac("xenbr1"));
    expect(bridgeMac("br0")).toMatch(/^00:16:3e:[89a-f][0-9a-f](:[0-9a-f]{2}){2}$/);
    expect(new Bridge("br0").mac).toBe(bridgeMac("br0"));
  });
});

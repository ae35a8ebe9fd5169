import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValueError } from "./config-error.js";
import { parseVifEntry, formatVifEntry } from "./vif.js";

// Round trips of vif entries are in domain-roundtrip.test.ts, with the other generators.
describe("vif entries", () => {
  it("reads the manual's vif lines (§8.3.1, lines 1705 and 1707)", () => {
    expect(parseVifEntry("mac=00:16:3e:55:24:21,model=pcnet,type=ioemu")).toEqual({ mac: "00:16:3e:55:24:21", model: "pcnet", type: "ioemu" });
    expect(parseVifEntry("mac=00:16:3e:55:24:21")).toEqual({ mac: "00:16:3e:55:24:21" });
  });

  it("reads every setting, and '' as a NIC with defaults", () => {
    expect(parseVifEntry("mac=00:16:3E:4F:94:A9, bridge=br0,rate=100Mb/s@20ms,type=netfront,ip=10.0.0.2  10.0.0.3,script=vif-bridge,backend=net1,model=e1000")).toEqual({
      mac: "00:16:3e:4f:94:a9", bridge: "br0", rate: { bytesPerSecond: 12_500_000, windowUs: 20_000 }, type: "netfront",
      ip: "10.0.0.2 10.0.0.3", script: "vif-bridge", backend: "net1", model: "e1000",
    });
    expect(parseVifEntry("")).toEqual({});
    expect(parseVifEntry("backend=0")).toEqual({});
  });

  it("writes settings in a fixed order", () => {
    expect(formatVifEntry(parseVifEntry("rate=10MB/s,bridge=br1,mac=00:16:3e:00:00:01"))).toBe("mac=00:16:3e:00:00:01,bridge=br1,rate=10MB/s");
  });

  it.each([
    ["mac", "is not key=value"],
    ["=br0", "is not key=value"],
    ["colour=red", 'unknown setting "colour" (known: mac, bridge, ip, script, type, model, rate, backend)'],
    ["bridge=br0,bridge=br1", "bridge is given twice"],
    ["bridge=", "bridge is empty"],
    ["mac=01:16:3e:00:00:01", "multicast"],
    ["mac=00:16:3e", "is not six hex octets"],
    ["bridge=a-very-long-bridge-name", "is not an interface name"],
    ["ip=10.0.0.256", "is not IPv4 addresses"],
    ["type=virtio", "vif type \"virtio\" is not one of ioemu, netfront"],
    ["model=virtio", "vif model \"virtio\" is not one of rtl8139"],
    ["rate=fast", "is not NUMBER UNIT/s"],
    ["backend=a b", "backend"],
    ["script=a\u0007", "control character"],
  ])("refuses %j: %s", (entry, message) => {
    expect(() => parseVifEntry(entry)).toThrow(ValueError);
    expect(() => parseVifEntry(entry)).toThrow(message);
  });

  it("either parses or throws ValueError, for any text", () => {
    const pair = fc.tuple(fc.constantFrom("mac", "bridge", "ip", "script", "type", "model", "rate", "backend", "x"), fc.string({ maxLength: 12 })).map(([k, v]) => `${k}=${v}`);
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.array(pair, { maxLength: 4 }).map((p) => p.join(","))), (t) => {
      try {
        parseVifEntry(t);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 3000 });
  });
});

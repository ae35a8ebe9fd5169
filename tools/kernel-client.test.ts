import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseDomainInfo, parseEvent } from "./kernel-client.js";
import { ProtocolViolation } from "./lib/frame-connection.js";

const info = {
  domid: 3, name: "vm1", memoryMiB: 128, maxmemMiB: 128, vcpus: 1, state: "blocked",
  cpuTimeNs: 5e9, weight: 256, cap: 0,
};

describe("kernel replies and events are checked", () => {
  it("accepts what the protocol defines", () => {
    expect(parseDomainInfo(info, "d")).toEqual(info);
    expect(parseDomainInfo({ ...info, state: "shutdown", shutdownReason: "reboot" }, "d").shutdownReason).toBe("reboot");
    expect(parseEvent({ event: "domain", domid: 1, state: "crashed", reason: "crash" })).toEqual({ event: "domain", domid: 1, state: "crashed", reason: "crash" });
    expect(parseEvent({ event: "console", domid: 1, data: new Uint8Array([65]) })).toMatchObject({ event: "console", domid: 1 });
  });

  it("names the field that is wrong", () => {
    expect(() => parseDomainInfo({ ...info, state: "asleep" }, "domain.list[0]")).toThrow("domain.list[0].state must be one of");
    expect(() => parseEvent({ event: "console", domid: 1, data: "A" })).toThrow("event.data must be bytes");
  });

  it("throws only ProtocolViolation on anything else", () => {
    const field = fc.oneof(fc.anything(), fc.constantFrom("running", "poweroff", "console", "domain"), fc.integer(), fc.uint8Array({ maxLength: 4 }));
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...Object.keys(info), "shutdownReason", "event", "data", "reason"), field), (o) => {
      for (const parse of [() => parseDomainInfo({ ...info, ...o }, "d"), () => parseEvent(o)]) {
        try {
          parse();
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolViolation);
        }
      }
    }), { numRuns: 3000 });
  });
});

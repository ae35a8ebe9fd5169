import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkRequest, checkRingRespond, checkVirtioDone, ProtocolError } from "./protocol-check.js";

const spec = {
  name: "vm1", builder: "hvm", memoryMiB: 64, maxmemMiB: 64, vcpus: 1, cpus: [], bios: null,
  kernel: "/k",
};

describe("checkRequest", () => {
  it("accepts well-formed requests", () => {
    expect(checkRequest({ id: 1, op: "domain.create", spec })).toMatchObject({ op: "domain.create", spec: { name: "vm1" } });
    expect(checkRequest({ id: 2, op: "domain.sched", domid: 3, weight: 512 })).toEqual({ id: 2, op: "domain.sched", domid: 3, weight: 512, cap: undefined });
    expect(checkRequest({ id: 3, op: "domain.affinity", domid: 3, cpus: [1] })).toEqual({ id: 3, op: "domain.affinity", domid: 3, cpus: [1] });
    expect(checkRequest({ id: 4, op: "domain.maxmem", domid: 3, maxmemMiB: 48 })).toEqual({ id: 4, op: "domain.maxmem", domid: 3, maxmemMiB: 48 });
    expect(checkRequest({ id: 3, op: "console.write", domid: 1, data: new Uint8Array([65]) }).op).toBe("console.write");
    const uuid = "aa6969f3-8012-24f0-1e3a-35f150001950";
    expect(checkRequest({ id: 4, op: "domain.create", spec: { ...spec, uuid } })).toMatchObject({ spec: { uuid } });
  });

  it.each([
    [{ op: "info" }, "id must be an integer"],
    [{ id: 1, op: "nope" }, 'unknown op "nope"'],
    [{ id: 1, op: "domain.destroy", domid: 0 }, "domid must be an integer from 1"],
    [{ id: 1, op: "domain.create", spec: { ...spec, name: "bad name" } }, 'name "bad name" may hold'],
    [{ id: 1, op: "domain.create", spec: { ...spec, builder: "pv" } }, 'builder must be "hvm" or "linux"'],
    [{ id: 1, op: "domain.create", spec: { ...spec, uuid: "nope" } }, 'uuid "nope" is not a UUID'],
    [{ id: 1, op: "domain.create", spec: { ...spec, maxmemMiB: 32 } }, "maxmemMiB must be an integer from 64"],
    [{ id: 1, op: "domain.sched", domid: 1, weight: 0 }, "weight must be an integer from 1 to 65535"],
    [{ id: 1, op: "domain.affinity", domid: 1, cpus: [0, -1] }, "cpus must be a list of pCPU numbers"],
    [{ id: 1, op: "domain.maxmem", domid: 1, maxmemMiB: 8 }, "maxmemMiB must be an integer from 16 to 3072"],
    [{ id: 1, op: "domain.shutdown", domid: 1, reason: "halt" }, 'reason must be "poweroff" or "reboot"'],
    [{ id: 1, op: "subscribe", events: ["console", "x"] }, "events must be a list of console, domain"],
    [{ id: 1, op: "subscribe", events: ["console"], consoles: [1, -2] }, "consoles must be a list of domain ids"],
    [{ id: 1, op: "backend.hello", version: 1, instance: "b/k" }, 'instance "b/k" may hold'],
    [{ id: 1, op: "device.attach", domid: 1, devid: 51712, deviceId: 2, features: 0, config: new Uint8Array(513) }, "config must be at most 512 bytes"],
    [{ id: 1, op: "device.attach", domid: 1, devid: 51712, deviceId: 2, features: 0, config: new Uint8Array(8), slot: 99 }, "slot must be an integer from 0"],
    [{ id: 1, op: "device.attach", domid: 1, devid: 0, deviceId: 18, features: 0, config: new Uint8Array(8), configPages: [{ select: 1, subsel: 0, data: new Uint8Array(129) }] }, "data must be at most 128 bytes"],
    [{ id: 1, op: "device.attach", domid: 1, devid: 0, deviceId: 18, features: 0, config: new Uint8Array(8), configPages: [{ select: 256, subsel: 0, data: new Uint8Array(1) }] }, "select must be an integer from 0 to 255"],
    [{ id: 1, op: "device.attach", domid: 1, devid: 0, deviceId: 18, features: 0, config: new Uint8Array(8), configPages: "x" }, "configPages must be a list"],
  ])("rejects %j", (m, message) => {
    expect(() => checkRequest(m)).toThrow(ProtocolError);
    expect(() => checkRequest(m)).toThrow(message);
  });

  it("checks a backend's answers: ring positions, copies and raw bytes", () => {
    expect(() => checkRingRespond({ op: "ring.respond", domid: 1, devid: 0, ring: 0, positions: [1, -1], copies: [], raw: new Uint8Array(0) })).toThrow(/positions/);
    expect(() => checkRingRespond({ op: "ring.respond", domid: 1, devid: 0, ring: 0, positions: [], copies: [{ ref: 1, offset: 4096, len: 1 }], raw: new Uint8Array(0) })).toThrow(/offset/);
    expect(() => checkVirtioDone({ op: "virtio.done", tag: 1, written: 1 })).toThrow(/raw frame/);
    fc.assert(fc.property(fc.record({ op: fc.constant("ring.respond"), domid: fc.anything(), devid: fc.anything(), ring: fc.anything(), positions: fc.anything(), copies: fc.anything(), raw: fc.anything() }), (m) => {
      try {
        checkRingRespond(m as Record<string, unknown>);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }), { numRuns: 2000 });
  });

  it("throws only ProtocolError for any message", () => {
    const ops = fc.constantFrom("hello", "info", "domain.create", "domain.list", "domain.destroy", "domain.pause",
      "domain.unpause", "domain.shutdown", "domain.sched", "domain.affinity", "domain.maxmem", "console.write", "console.read", "subscribe", "backend.hello", "device.attach", "device.detach", "ring.bind", "ring.unbind", "grant.read", "grant.write",
      "evtchn.bind", "evtchn.unbind", "evtchn.notify", "console.tail", "domain.rename", "x");
    fc.assert(fc.property(
      fc.oneof(fc.anything(), fc.record({ id: fc.anything(), op: ops, domid: fc.anything(), spec: fc.anything(), reason: fc.anything(), weight: fc.anything(), data: fc.anything(), events: fc.anything(), consoles: fc.anything(), instance: fc.anything(), devid: fc.anything(), deviceId: fc.anything(), features: fc.anything(), config: fc.anything(), configPages: fc.anything(), slot: fc.anything(), ring: fc.anything(), ref: fc.anything(), port: fc.anything(), slotSize: fc.anything(), rspSize: fc.anything(), segments: fc.anything(), name: fc.anything() }, { requiredKeys: ["op"] })),
      (m) => {
        try {
          checkRequest(m);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      },
    ), { numRuns: 5000 });
  });
});

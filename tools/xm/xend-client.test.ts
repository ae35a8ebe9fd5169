import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseXendDomain } from "./xend-client.js";
import { ProtocolViolation } from "../lib/frame-connection.js";

const domain = {
  name: "smp", domid: 4, memoryMiB: 16, maxmemMiB: 16, vcpus: 2, online: [0], state: "blocked",
  cpuTimeS: 1.5, weight: 256, cap: 0, startTime: 1700000000, managed: false, cpus: [],
};

describe("what xend says of a domain is checked before xm prints it", () => {
  it("accepts what the protocol defines, a managed domain that is not running too", () => {
    expect(parseXendDomain(domain, "d")).toEqual(domain);
    expect(parseXendDomain({ ...domain, domid: null, state: null, startTime: null, managed: true }, "d").state).toBeNull();
  });

  it("names the field that is wrong", () => {
    expect(() => parseXendDomain({ ...domain, online: [0, "1"] }, "list[2]")).toThrow("list[2].online[1] must be a whole number from 0");
    expect(() => parseXendDomain({ ...domain, state: "asleep" }, "d")).toThrow("d.state is not a domain state");
  });

  it("throws only ProtocolViolation on anything else", () => {
    const field = fc.oneof(fc.anything(), fc.constantFrom("running", "paused", null), fc.integer(), fc.array(fc.integer()));
    fc.assert(fc.property(fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom(...Object.keys(domain)), field).map((o) => ({ ...domain, ...o }))), (v) => {
      try {
        parseXendDomain(v, "d");
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolViolation);
      }
    }), { numRuns: 2000 });
  });
});

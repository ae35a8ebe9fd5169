import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BadRequest, checkXendRequest } from "./requests.js";

describe("xend request checks", () => {
  it("accepts well-formed requests unchanged", () => {
    expect(checkXendRequest({ op: "domain.list" })).toEqual({ op: "domain.list", domains: undefined });
    expect(checkXendRequest({ op: "domain.shutdown", domain: "vm1", reason: "reboot" })).toEqual({ op: "domain.shutdown", domain: "vm1", reason: "reboot" });
    expect(checkXendRequest({ op: "domain.vcpu-pin", domain: "1", vcpu: "all", cpus: [0, 1] })).toMatchObject({ vcpu: "all", cpus: [0, 1] });
  });

  it("names the field at fault", () => {
    expect(() => checkXendRequest({ op: "domain.pause" })).toThrow("domain must be a non-empty string");
    expect(() => checkXendRequest({ op: "domain.sched-credit", domain: "x", weight: 0 })).toThrow("weight must be a whole number from 1");
    expect(() => checkXendRequest({ op: "nope" })).toThrow('unknown operation "nope"');
    expect(() => checkXendRequest({ op: "hello", version: 99 })).toThrow("xend speaks protocol 1");
  });

  it("throws only BadRequest on arbitrary messages", () => {
    const ops = fc.constantFrom("hello", "domain.list", "domain.sxp", "domain.create", "domain.new", "domain.delete", "domain.start",
      "domain.shutdown", "domain.destroy", "domain.pause", "domain.unpause", "domain.sched-credit", "domain.vcpu-list",
      "domain.vcpu-pin", "domain.vcpu-set", "domain.mem-set", "domain.mem-max", "domain.block-attach", "domain.block-detach", "domain.block-list", "domain.network-attach", "domain.network-detach", "domain.network-list", "host.info", "host.dmesg", "other");
    fc.assert(fc.property(ops, fc.dictionary(fc.constantFrom("domain", "domains", "config", "source", "reason", "weight", "cap", "vcpu", "cpus", "vcpus", "memoryMiB", "maxmemMiB", "clear", "paused", "version", "uname", "dev", "mode", "settings", "devid"), fc.anything()), (op, fields) => {
      try {
        checkXendRequest({ ...fields, op });
      } catch (e) {
        expect(e).toBeInstanceOf(BadRequest);
      }
    }), { numRuns: 3000 });
    fc.assert(fc.property(fc.anything(), (m) => {
      try {
        checkXendRequest(m);
      } catch (e) {
        expect(e).toBeInstanceOf(BadRequest);
      }
    }));
  });
});

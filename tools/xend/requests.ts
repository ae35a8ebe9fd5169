// Checks every message that reaches xend's socket against kernel/public/xend-protocol.ts before
// xend acts on it. Anything else is refused with a message naming the field; the connection and
// xend carry on.

import { XEND_PROTOCOL_VERSION, type XendRequest } from "../../kernel/public/xend-protocol.js";
import { isObj, type Obj } from "../lib/check.js";

export class BadRequest extends Error {
  override name = "BadRequest";
}

const MAX_TEXT = 1 << 20;
const MAX_REF = 256;

function text(o: Obj, key: string, max = MAX_TEXT, mayBeEmpty = false): string {
  const v = o[key];
  if (typeof v !== "string" || (v.length === 0 && !mayBeEmpty) || v.length > max) {
    throw new BadRequest(`${key} must be a ${mayBeEmpty ? "" : "non-empty "}string of at most ${max} characters`);
  }
  return v;
}

function whole(o: Obj, key: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new BadRequest(`${key} must be a whole number from ${min} to ${max}`);
  }
  return v;
}

function optWhole(o: Obj, key: string, min: number, max: number): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : whole(o, key, min, max);
}

function optBool(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new BadRequest(`${key} must be true or false`);
  return v;
}

function refs(o: Obj, key: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 1024 || !v.every((r) => typeof r === "string" && r.length > 0 && r.length <= MAX_REF)) {
    throw new BadRequest(`${key} must be a list of domain names or ids`);
  }
  return v as string[];
}

function cpuList(o: Obj, key: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length > 1024 || !v.every((c) => Number.isInteger(c) && c >= 0 && c < 1024)) {
    throw new BadRequest(`${key} must be a list of CPU numbers`);
  }
  return v as number[];
}

export function checkXendRequest(m: unknown): XendRequest {
  if (!isObj(m)) throw new BadRequest("a request must be a map");
  const domain = (): string => text(m, "domain", MAX_REF);
  switch (m.op) {
    case "hello": {
      const version = whole(m, "version", 0, 1 << 30);
      if (version !== XEND_PROTOCOL_VERSION) {
        throw new BadRequest(`xend speaks protocol ${XEND_PROTOCOL_VERSION}, not ${version}: rebuild with \`npm run build\``);
      }
      return { op: "hello", version };
    }
    case "domain.list": return { op: "domain.list", domains: refs(m, "domains") };
    case "domain.vcpu-list": return { op: "domain.vcpu-list", domains: refs(m, "domains") };
    case "domain.sxp": return { op: "domain.sxp", domain: domain() };
    case "domain.create": return { op: "domain.create", config: text(m, "config"), source: text(m, "source", 4096), paused: optBool(m, "paused") };
    case "domain.new": return { op: "domain.new", config: text(m, "config"), source: text(m, "source", 4096) };
    case "domain.delete": return { op: "domain.delete", domain: domain() };
    case "domain.start": return { op: "domain.start", domain: domain(), paused: optBool(m, "paused") };
    case "domain.shutdown": {
      if (m.reason !== "poweroff" && m.reason !== "reboot") throw new BadRequest('reason must be "poweroff" or "reboot"');
      return { op: "domain.shutdown", domain: domain(), reason: m.reason };
    }
    case "domain.destroy": return { op: "domain.destroy", domain: domain() };
    case "domain.pause": return { op: "domain.pause", domain: domain() };
    case "domain.unpause": return { op: "domain.unpause", domain: domain() };
    case "domain.sched-credit":
      return { op: "domain.sched-credit", domain: domain(), weight: optWhole(m, "weight", 1, 65535), cap: optWhole(m, "cap", 0, 100 * 1024) };
    case "domain.vcpu-pin": {
      const vcpu = m.vcpu === "all" ? "all" : whole(m, "vcpu", 0, 1023);
      return { op: "domain.vcpu-pin", domain: domain(), vcpu, cpus: cpuList(m, "cpus") };
    }
    case "domain.vcpu-set": return { op: "domain.vcpu-set", domain: domain(), vcpus: whole(m, "vcpus", 1, 1024) };
    case "domain.mem-set": return { op: "domain.mem-set", domain: domain(), memoryMiB: whole(m, "memoryMiB", 1, 1 << 30) };
    case "domain.mem-max": return { op: "domain.mem-max", domain: domain(), maxmemMiB: whole(m, "maxmemMiB", 1, 1 << 30) };
    case "domain.block-attach":
      return { op: "domain.block-attach", domain: domain(), uname: text(m, "uname", 4096), dev: text(m, "dev", 64), mode: text(m, "mode", 4) };
    case "domain.block-detach": return { op: "domain.block-detach", domain: domain(), dev: text(m, "dev", 64) };
    case "domain.block-list": return { op: "domain.block-list", domain: domain() };
    case "domain.network-attach": return { op: "domain.network-attach", domain: domain(), settings: text(m, "settings", 4096, true) };
    case "domain.network-detach": return { op: "domain.network-detach", domain: domain(), devid: whole(m, "devid", 0, 1 << 20) };
    case "domain.network-list": return { op: "domain.network-list", domain: domain() };
    case "host.info": return { op: "host.info" };
    case "host.dmesg": return { op: "host.dmesg", clear: optBool(m, "clear") };
    default:
      throw new BadRequest(`unknown operation ${JSON.stringify(m.op)}`);
  }
}

// Validation of messages entering the kernel process: anything that is not a well-formed request
// becomes a ProtocolError naming the field at fault; the connection stays up.

import {
  type Builder, type DomainSpec, type EventKind, type RequestFrame, type VirtioDoneFrame, type RingRespondFrame, type GrantSegmentSpec, MAX_WEIGHT,
  type VirtioConfigPage, MAX_CONFIG_PAGES,
} from "../public/protocol.js";
import { VIRTIO_INPUT_CFG_PAGE_BYTES } from "../public/virtio-input.js";
import { VIRTIO_SLOTS } from "../public/board.js";
import { VIRTIO_CONFIG_SIZE } from "../public/virtio-slot.js";

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function int(o: Obj, key: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ProtocolError(`${key} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  }
  return v;
}

function optInt(o: Obj, key: string, min: number, max: number): number | undefined {
  return o[key] === undefined ? undefined : int(o, key, min, max);
}

function str(o: Obj, key: string, maxLen = 4096): string {
  const v = o[key];
  if (typeof v !== "string" || v.length === 0 || v.length > maxLen || v.includes("\0")) {
    throw new ProtocolError(`${key} must be a non-empty string of at most ${maxLen} characters`);
  }
  return v;
}

function optStr(o: Obj, key: string, maxLen = 4096): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, maxLen);
}

function optBool(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== "boolean") throw new ProtocolError(`${key} must be true or false`);
  return v;
}

function bytes(o: Obj, key: string, maxLen: number): Uint8Array {
  const v = o[key];
  if (!(v instanceof Uint8Array) || v.length > maxLen) throw new ProtocolError(`${key} must be at most ${maxLen} bytes`);
  return v;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_DOMID = 0x7fef;
const MAX_MEMORY_MIB = 3072;

function cpuList(v: Record<string, unknown>): number[] {
  if (!Array.isArray(v.cpus) || v.cpus.length > 1024 || v.cpus.some((c) => !Number.isInteger(c) || c < 0 || c > 1023)) {
    throw new ProtocolError("cpus must be a list of pCPU numbers");
  }
  return v.cpus as number[];
}

function spec(v: unknown): DomainSpec {
  if (!isObj(v)) throw new ProtocolError("spec must be an object");
  const name = str(v, "name", 64);
  if (!NAME.test(name)) throw new ProtocolError(`name "${name}" may hold letters, digits and _ . + - (64 at most)`);
  const uuid = optStr(v, "uuid", 36);
  if (uuid !== undefined && !UUID.test(uuid)) throw new ProtocolError(`uuid "${uuid}" is not a UUID`);
  const builder = v.builder;
  if (builder !== "hvm" && builder !== "linux") throw new ProtocolError(`builder must be "hvm" or "linux", not ${JSON.stringify(builder)}`);
  const memoryMiB = int(v, "memoryMiB", 16, MAX_MEMORY_MIB);
  const maxmemMiB = int(v, "maxmemMiB", memoryMiB, MAX_MEMORY_MIB);
  const vcpus = int(v, "vcpus", 1, 8);
  const cpus = cpuList(v);
  if (v.bios !== null && typeof v.bios !== "string") throw new ProtocolError("bios must be a path or null");
  return {
    name,
    ...(uuid === undefined ? {} : { uuid }),
    builder: builder as Builder,
    memoryMiB,
    maxmemMiB,
    vcpus,
    cpus,
    bios: v.bios === null ? null : str(v, "bios"),
    kernel: optStr(v, "kernel"),
    ramdisk: optStr(v, "ramdisk"),
    extra: optStr(v, "extra", 1023),
    ...(v.framebuffer === undefined ? {} : { framebuffer: framebuffer(v.framebuffer) }),
  };
}

function framebuffer(v: unknown): { width: number; height: number } {
  if (!isObj(v)) throw new ProtocolError("framebuffer must be { width, height }");
  return { width: int(v, "width", 16, 2048), height: int(v, "height", 16, 2048) };
}

const EVENTS: readonly EventKind[] = ["console", "domain"];

/** Check an incoming message; returns it typed, or throws ProtocolError. */
export function checkRequest(m: unknown): RequestFrame {
  if (!isObj(m)) throw new ProtocolError("a request must be a map");
  const id = int(m, "id", 0, 2 ** 32 - 1);
  const op = m.op;
  switch (op) {
    case "hello": return { id, op, version: int(m, "version", 0, 2 ** 31) };
    case "info":
    case "domain.list": return { id, op };
    case "domain.create": return { id, op, spec: spec(m.spec), paused: optBool(m, "paused") };
    case "domain.destroy":
    case "domain.pause":
    case "domain.unpause":
    case "console.read":
    case "console.tail": return { id, op, domid: int(m, "domid", 1, MAX_DOMID) };
    case "framebuffer.read": return { id, op, domid: int(m, "domid", 1, MAX_DOMID), full: optBool(m, "full") === true };
    case "domain.shutdown": {
      const reason = m.reason;
      if (reason !== "poweroff" && reason !== "reboot") throw new ProtocolError(`reason must be "poweroff" or "reboot"`);
      return { id, op, domid: int(m, "domid", 1, MAX_DOMID), reason };
    }
    case "domain.sched":
      return { id, op, domid: int(m, "domid", 1, MAX_DOMID), weight: optInt(m, "weight", 1, MAX_WEIGHT), cap: optInt(m, "cap", 0, 100 * 64) };
    case "domain.maxmem": return { id, op, domid: int(m, "domid", 1, MAX_DOMID), maxmemMiB: int(m, "maxmemMiB", 16, MAX_MEMORY_MIB) };
    case "domain.affinity": return { id, op, domid: int(m, "domid", 1, MAX_DOMID), cpus: cpuList(m) };
    case "domain.rename": {
      const name = str(m, "name", 64);
      if (!NAME.test(name)) throw new ProtocolError(`name "${name}" may hold letters, digits and _ . + - (64 at most)`);
      return { id, op, domid: int(m, "domid", 1, MAX_DOMID), name };
    }
    case "console.write": return { id, op, domid: int(m, "domid", 1, MAX_DOMID), data: bytes(m, "data", 65536) };
    case "subscribe": {
      if (!Array.isArray(m.events) || m.events.some((e) => !EVENTS.includes(e as EventKind))) {
        throw new ProtocolError(`events must be a list of ${EVENTS.join(", ")}`);
      }
      if (m.consoles !== undefined && (!Array.isArray(m.consoles) || m.consoles.length > MAX_DOMID || m.consoles.some((d) => !Number.isInteger(d) || d < 0 || d > MAX_DOMID))) {
        throw new ProtocolError(`consoles must be a list of domain ids`);
      }
      return { id, op, events: m.events as EventKind[], ...(m.consoles === undefined ? {} : { consoles: m.consoles as number[] }) };
    }
    case "backend.hello": {
      const instance = str(m, "instance", 64);
      if (!NAME.test(instance)) throw new ProtocolError(`instance "${instance}" may hold letters, digits and _ . + -`);
      return { id, op, version: int(m, "version", 0, 2 ** 31), instance };
    }
    case "device.attach":
      return {
        id, op, domid: int(m, "domid", 1, MAX_DOMID), devid: int(m, "devid", 0, 2 ** 31 - 1),
        deviceId: int(m, "deviceId", 1, 255), features: int(m, "features", 0, Number.MAX_SAFE_INTEGER),
        config: bytes(m, "config", VIRTIO_CONFIG_SIZE), slot: optInt(m, "slot", 0, VIRTIO_SLOTS - 1),
        ...(m.configPages === undefined ? {} : { configPages: configPages(m, "configPages") }),
      };
    case "device.detach": return { id, op, domid: int(m, "domid", 1, MAX_DOMID), devid: int(m, "devid", 0, 2 ** 31 - 1) };
    case "ring.unbind":
      return { id, op, domid: int(m, "domid", 1, MAX_DOMID), devid: int(m, "devid", 0, 2 ** 31 - 1), ring: int(m, "ring", 0, MAX_RINGS) };
    case "ring.bind":
      return {
        id, op, domid: int(m, "domid", 1, MAX_DOMID), devid: int(m, "devid", 0, 2 ** 31 - 1), ring: int(m, "ring", 0, MAX_RINGS),
        ref: int(m, "ref", 0, 2 ** 32 - 1), port: int(m, "port", 1, 2 ** 31), slotSize: int(m, "slotSize", 8, 2048),
        rspSize: int(m, "rspSize", 1, 2048),
      };
    case "grant.read": return { id, op, domid: int(m, "domid", 1, MAX_DOMID), segments: segments(m, "segments") };
    case "grant.write": {
      const segs = segments(m, "segments");
      const data = bytes(m, "data", MAX_SEGMENTS * 4096);
      if (data.length !== segs.reduce((n, s) => n + s.len, 0)) throw new ProtocolError("data must be as long as the segments together");
      return { id, op, domid: int(m, "domid", 1, MAX_DOMID), segments: segs, data };
    }
    case "evtchn.bind":
      return { id, op, domid: int(m, "domid", 1, MAX_DOMID), devid: int(m, "devid", 0, 2 ** 31 - 1), port: int(m, "port", 1, 2 ** 31) };
    case "evtchn.unbind":
    case "evtchn.notify":
      return { id, op, domid: int(m, "domid", 1, MAX_DOMID), devid: int(m, "devid", 0, 2 ** 31 - 1) };
    default:
      throw new ProtocolError(`unknown op ${JSON.stringify(op)}`);
  }
}

const MAX_SEGMENTS = 1024;
const MAX_RINGS = 15;
const MAX_POSITIONS = 4096;

function segments(o: Obj, key: string): GrantSegmentSpec[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length > MAX_SEGMENTS) throw new ProtocolError(`${key} must be a list of at most ${MAX_SEGMENTS} grant segments`);
  return v.map((seg, i) => {
    if (!isObj(seg)) throw new ProtocolError(`${key}[${i}] must be a map`);
    return { ref: int(seg, "ref", 0, 2 ** 32 - 1), offset: int(seg, "offset", 0, 4095), len: int(seg, "len", 0, 4096) };
  });
}

function configPages(o: Obj, key: string): VirtioConfigPage[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length > MAX_CONFIG_PAGES) throw new ProtocolError(`${key} must be a list of at most ${MAX_CONFIG_PAGES} config pages`);
  return v.map((page, i) => {
    if (!isObj(page)) throw new ProtocolError(`${key}[${i}] must be a map`);
    return { select: int(page, "select", 0, 255), subsel: int(page, "subsel", 0, 255), data: bytes(page, "data", VIRTIO_INPUT_CFG_PAGE_BYTES) };
  });
}

/** A backend's answers to ring requests (no id, no reply). */
export function checkRingRespond(m: Obj): RingRespondFrame {
  const raw = m.raw;
  if (!(raw instanceof Uint8Array)) throw new ProtocolError("ring.respond carries its bytes as a raw frame");
  const positions = m.positions;
  if (!Array.isArray(positions) || positions.length > MAX_POSITIONS || positions.some((p) => !Number.isInteger(p) || p < 0 || p > 2 ** 32 - 1)) {
    throw new ProtocolError(`positions must be a list of at most ${MAX_POSITIONS} ring positions`);
  }
  return {
    op: "ring.respond", domid: int(m, "domid", 1, MAX_DOMID), devid: int(m, "devid", 0, 2 ** 31 - 1), ring: int(m, "ring", 0, MAX_RINGS),
    positions: positions as number[], copies: segments(m, "copies"), raw,
  };
}

/** A backend's answer to a pushed virtio request (no id, no reply). */
export function checkVirtioDone(m: Obj): VirtioDoneFrame {
  const raw = m.raw;
  if (!(raw instanceof Uint8Array)) throw new ProtocolError("virtio.done carries its bytes as a raw frame");
  return { op: "virtio.done", tag: int(m, "tag", 0, Number.MAX_SAFE_INTEGER), written: int(m, "written", 0, 2 ** 32 - 1), raw };
}

/** Messages a backend posts without an id, which get no reply. */
export function isBackendPost(m: unknown): m is Obj {
  return isObj(m) && (m.op === "virtio.done" || m.op === "ring.respond");
}

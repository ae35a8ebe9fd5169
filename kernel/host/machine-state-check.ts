// Checks a machine state (kernel/public/machine-state.ts) before any of it is used: it may come
// from a file or another host, so anything that is not a well-formed state of this version, for
// this config, becomes a MachineStateError naming the field. What passes is a fresh object of
// exactly the expected shape (64-bit values as bigints), safe to write into the kernel.

import {
  HART_CSRS, MACHINE_STATE_FORMAT, MACHINE_STATE_VERSION, RAM_RUN_MAX_PAGES, type HartCsr, type HartState,
  type MachineState, type PlicState, type PvState, type RamRun, type SavedPort, type SavedXenstoreRequest,
  type UartState, type VirtioSlotState, type VirtqueueState, type XenstoreRelayState,
} from "../public/machine-state.js";
import type { Builder } from "../public/protocol.js";
import { BOOTROM_SIZE, PLIC_CONTEXTS, PLIC_SOURCES, PLIC_WORDS, RAM_BASE, VIRTIO_SLOTS } from "../public/board.js";
import { IO_RING_SIZE } from "../public/kernel-abi.js";
import { PMPADDR_REGS, PMPCFG_REGS } from "../public/hart-block.js";
import { VIRTIO_CONFIG_SIZE, VIRTIO_MAX_QUEUES } from "../public/virtio-slot.js";
import { NR_EVENT_CHANNELS } from "../public/xen/shared-info.js";
import { XENSTORE_PAYLOAD_MAX, XS_HDR_LEN, XS_HEADER_SIZE } from "../public/xs-wire.js";
import { pvLayout, PAGE } from "./pv/pv-layout.js";
import { QUEUE_SIZE } from "./virtqueue.js";

export class MachineStateError extends Error {
  override name = "MachineStateError";
}

/** What the config says the state must match. */
export interface StateExpectations {
  readonly builder: Builder;
  readonly memMiB: number;
  /** The RAM region: maxmem for a paravirtual machine, memMiB for HVM. */
  readonly maxMemMiB: number;
  readonly harts: number;
  /** The features the config's virtio device in each slot offers (undefined: no device there). */
  readonly virtio: readonly ({ readonly deviceId: number; readonly features: bigint } | undefined)[];
}

type Obj = Record<string, unknown>;

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U32_MAX = 0xffff_ffff;
/** Replies a relay may hold: its 64 KiB flow-control mark plus what was in flight. */
const MAX_HELD_REPLIES = 1024 * 1024;
/** Far above what xenstored lets a domain have outstanding or watched; bounds what a state may make the relay hold. */
const MAX_XENSTORE_ENTRIES = 65536;
const SATP_MODES = [0n, 8n, 9n]; // bare, Sv39, Sv48
const MSTATUS_MPP_SHIFT = 11n;

function describe(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v === null || v === undefined) return String(v);
  if (typeof v === "object") return "an object";
  const s = typeof v === "string" ? JSON.stringify(v) : String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function fail(path: string, what: string): never {
  throw new MachineStateError(`${path} ${what}`);
}

/** A field that is not what it must be: says what it is instead. */
function invalid(path: string, what: string, v: unknown): never {
  return fail(path, `${what}, not ${describe(v)}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) invalid(path, "must be an object", v);
  return v as Obj;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) invalid(path, `must be an integer from ${min} to ${max}`, v);
  return v;
}

/** A 64-bit value: a bigint, or a number that is exactly one (a msgpack reader may give either). */
function big(v: unknown, path: string, min: bigint, max: bigint): bigint {
  const b = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (b === undefined || b < min || b > max) invalid(path, `must be an integer from ${min} to ${max}`, v);
  return b;
}

const u64 = (v: unknown, path: string): bigint => big(v, path, 0n, U64_MAX);

function bool(v: unknown, path: string): boolean {
  if (typeof v !== "boolean") invalid(path, "must be true or false", v);
  return v;
}

function bytes(v: unknown, path: string, max: number, exact = false): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length > max || (exact && v.length !== max)) {
    invalid(path, exact ? `must be ${max} bytes` : `must be at most ${max} bytes`, v);
  }
  return v;
}

function list<T>(v: unknown, path: string, max: number, each: (x: unknown, path: string) => T, exact = false): T[] {
  if (!Array.isArray(v) || v.length > max || (exact && v.length !== max)) {
    invalid(path, exact ? `must be a list of ${max}` : `must be a list of at most ${max}`, v);
  }
  return v.map((x, i) => each(x, `${path}[${i}]`));
}

function distinct(values: readonly number[], path: string): void {
  const seen = new Set<number>();
  for (const x of values) {
    if (seen.has(x)) fail(path, `names ${x} twice`);
    seen.add(x);
  }
}

function hart(v: unknown, path: string): HartState {
  const o = obj(v, path);
  const x = list(o.x, `${path}.x`, 32, u64, true);
  if (x[0] !== 0n) invalid(`${path}.x[0]`, "must be 0", x[0]);
  const c = obj(o.csr, `${path}.csr`);
  const csr = Object.fromEntries(HART_CSRS.map((n) => [n, u64(c[n], `${path}.csr.${n}`)])) as Record<HartCsr, bigint>;
  // WARL fields whose illegal values the kernel never holds (csr.ts).
  if (!SATP_MODES.includes(csr.satp >> 60n)) invalid(`${path}.csr.satp`, "must be in mode bare, Sv39 or Sv48", csr.satp);
  if (((csr.mstatus >> MSTATUS_MPP_SHIFT) & 3n) === 2n) invalid(`${path}.csr.mstatus`, "must not hold the reserved MPP value 2", csr.mstatus);
  const priv = int(o.priv, `${path}.priv`, 0, 3);
  if (priv === 2) invalid(`${path}.priv`, "must be 0 (U), 1 (S) or 3 (M)", priv);
  return {
    x,
    f: list(o.f, `${path}.f`, 32, u64, true),
    pc: u64(o.pc, `${path}.pc`),
    priv,
    waiting: bool(o.waiting, `${path}.waiting`),
    stopped: bool(o.stopped, `${path}.stopped`),
    instret: u64(o.instret, `${path}.instret`),
    csr,
    frm: int(o.frm, `${path}.frm`, 0, 7),
    fflags: int(o.fflags, `${path}.fflags`, 0, 0x1f),
    pmpcfg: list(o.pmpcfg, `${path}.pmpcfg`, PMPCFG_REGS, u64, true),
    pmpaddr: list(o.pmpaddr, `${path}.pmpaddr`, PMPADDR_REGS, u64, true),
    mtimecmp: u64(o.mtimecmp, `${path}.mtimecmp`),
    msip: bool(o.msip, `${path}.msip`),
  };
}

function ram(v: unknown, path: string, pages: number): RamRun[] {
  const runs = list(v, path, pages, (x, p): RamRun => {
    const o = obj(x, p);
    const page = int(o.page, `${p}.page`, 0, pages - 1);
    const data = bytes(o.data, `${p}.data`, RAM_RUN_MAX_PAGES * PAGE);
    if (data.length === 0 || data.length % PAGE !== 0) invalid(`${p}.data`, "must be whole pages", data);
    if (page + data.length / PAGE > pages) fail(p, `runs past the end of RAM (${pages} pages)`);
    return { page, data };
  });
  runs.forEach((r, i) => {
    if (i > 0 && r.page < runs[i - 1].page + runs[i - 1].data.length / PAGE) invalid(`${path}[${i}].page`, "overlaps or precedes the run before it", r.page);
  });
  return runs;
}

function uart(v: unknown, path: string): UartState {
  const o = obj(v, path);
  const reg = (k: string, max: number): number => int(o[k], `${path}.${k}`, 0, max);
  return {
    ier: reg("ier", 0x0f), lcr: reg("lcr", 0xff), mcr: reg("mcr", 0x1f), scr: reg("scr", 0xff), fcr: reg("fcr", 0xff),
    dll: reg("dll", 0xff), dlm: reg("dlm", 0xff),
    thrEmptyPending: bool(o.thrEmptyPending, `${path}.thrEmptyPending`),
    rx: bytes(o.rx, `${path}.rx`, IO_RING_SIZE),
  };
}

function plic(v: unknown, path: string): PlicState {
  const o = obj(v, path);
  const word = (x: unknown, p: string): number => int(x, p, 0, U32_MAX);
  const level = (x: unknown, p: string): number => int(x, p, 0, 7);
  const priority = list(o.priority, `${path}.priority`, PLIC_SOURCES, level, true);
  if (priority[0] !== 0) invalid(`${path}.priority[0]`, "must be 0 (source 0 does not exist)", priority[0]);
  const claimed = list(o.claimed, `${path}.claimed`, PLIC_WORDS, word, true);
  const enable = list(o.enable, `${path}.enable`, PLIC_WORDS * PLIC_CONTEXTS, word, true);
  if ((claimed[0] & 1) !== 0) invalid(`${path}.claimed[0]`, "must not claim source 0", claimed[0]);
  enable.forEach((w, i) => {
    if (i % PLIC_WORDS === 0 && (w & 1) !== 0) invalid(`${path}.enable[${i}]`, "must not enable source 0", w);
  });
  return { priority, claimed, enable, threshold: list(o.threshold, `${path}.threshold`, PLIC_CONTEXTS, level, true) };
}

function virtqueue(v: unknown, path: string): VirtqueueState {
  const o = obj(v, path);
  const num = int(o.num, `${path}.num`, 0, QUEUE_SIZE);
  const ready = bool(o.ready, `${path}.ready`);
  const inflight = list(o.inflight, `${path}.inflight`, num, (x, p) => int(x, p, 0, num - 1));
  distinct(inflight, `${path}.inflight`);
  if (inflight.length > 0 && !ready) invalid(`${path}.inflight`, "must be empty for a queue that is not ready", inflight);
  return {
    num, ready,
    desc: u64(o.desc, `${path}.desc`), driver: u64(o.driver, `${path}.driver`), device: u64(o.device, `${path}.device`),
    lastAvail: int(o.lastAvail, `${path}.lastAvail`, 0, 0xffff),
    inflight,
  };
}

function virtioSlot(v: unknown, path: string, expect: StateExpectations): VirtioSlotState {
  const o = obj(v, path);
  const slot = int(o.slot, `${path}.slot`, 0, VIRTIO_SLOTS - 1);
  const dev = expect.virtio[slot];
  const deviceId = int(o.deviceId, `${path}.deviceId`, 1, U32_MAX);
  if (dev === undefined) fail(`${path}.slot`, `names slot ${slot}, where the config has no virtio device`);
  if (dev.deviceId !== deviceId) fail(`${path}.deviceId`, `is ${deviceId}, but the config's device in slot ${slot} is ${dev.deviceId}`);
  const deviceFeatures = u64(o.deviceFeatures, `${path}.deviceFeatures`);
  if (deviceFeatures !== dev.features) {
    fail(`${path}.deviceFeatures`, `is 0x${deviceFeatures.toString(16)}, but the config's device offers 0x${dev.features.toString(16)}`);
  }
  const u32 = (k: string): number => int(o[k], `${path}.${k}`, 0, U32_MAX);
  return {
    slot, deviceId, deviceFeatures,
    driverFeatures: u64(o.driverFeatures, `${path}.driverFeatures`),
    deviceFeaturesSel: u32("deviceFeaturesSel"), driverFeaturesSel: u32("driverFeaturesSel"), queueSel: u32("queueSel"),
    interruptStatus: int(o.interruptStatus, `${path}.interruptStatus`, 0, 3),
    status: u32("status"), configGeneration: u32("configGeneration"), resets: u32("resets"),
    queues: list(o.queues, `${path}.queues`, VIRTIO_MAX_QUEUES, virtqueue, true),
    config: bytes(o.config, `${path}.config`, VIRTIO_CONFIG_SIZE, true),
  };
}

function virtio(v: unknown, path: string, expect: StateExpectations): VirtioSlotState[] {
  const slots = list(v, path, VIRTIO_SLOTS, (x, p) => virtioSlot(x, p, expect));
  slots.forEach((s, i) => {
    if (i > 0 && s.slot <= slots[i - 1].slot) invalid(`${path}[${i}].slot`, "must be above the slot before it", s.slot);
  });
  expect.virtio.forEach((dev, slot) => {
    if (dev !== undefined && !slots.some((s) => s.slot === slot)) fail(path, `has no slot ${slot}, where the config has a virtio device`);
  });
  return slots;
}

function port(v: unknown, path: string): SavedPort {
  const o = obj(v, path);
  const p = int(o.port, `${path}.port`, 1, NR_EVENT_CHANNELS - 1);
  switch (o.kind) {
    case "unbound": return { port: p, kind: "unbound", remoteDom: int(o.remoteDom, `${path}.remoteDom`, 0, 0xffff) };
    case "virq": return { port: p, kind: "virq", virq: int(o.virq, `${path}.virq`, 0, U32_MAX), vcpu: int(o.vcpu, `${path}.vcpu`, 0, U32_MAX) };
    case "host":
      if (o.service !== "console" && o.service !== "store") invalid(`${path}.service`, 'must be "console" or "store"', o.service);
      return { port: p, kind: "host", service: o.service };
  }
  return invalid(`${path}.kind`, 'must be "unbound", "virq" or "host"', o.kind);
}

/** One whole xenstore message: a header whose length is the payload's. */
function xsMessage(v: unknown, path: string): Uint8Array {
  const m = bytes(v, path, XS_HEADER_SIZE + XENSTORE_PAYLOAD_MAX);
  if (m.length < XS_HEADER_SIZE || new DataView(m.buffer, m.byteOffset, m.length).getUint32(XS_HDR_LEN, true) !== m.length - XS_HEADER_SIZE) {
    invalid(path, "must be one whole xenstore message", m);
  }
  return m;
}

function xenstore(v: unknown, path: string): XenstoreRelayState {
  const o = obj(v, path);
  const pending = list(o.pending, `${path}.pending`, MAX_XENSTORE_ENTRIES, (x, p): SavedXenstoreRequest => {
    const r = obj(x, p);
    const msg = xsMessage(r.msg, `${p}.msg`);
    const sent = bool(r.sent, `${p}.sent`);
    if (r.reply === undefined || r.reply === null) {
      if (!sent) invalid(`${p}.reply`, "must be there for a request the relay answered itself", r.reply);
      return { msg, sent };
    }
    return { msg, sent, reply: xsMessage(r.reply, `${p}.reply`) };
  });
  return {
    introduced: bool(o.introduced, `${path}.introduced`),
    partialRequest: bytes(o.partialRequest, `${path}.partialRequest`, XS_HEADER_SIZE + XENSTORE_PAYLOAD_MAX - 1),
    replies: bytes(o.replies, `${path}.replies`, MAX_HELD_REPLIES),
    pending,
    watches: list(o.watches, `${path}.watches`, MAX_XENSTORE_ENTRIES, (x, p) => bytes(x, p, XENSTORE_PAYLOAD_MAX)),
    transactions: list(o.transactions, `${path}.transactions`, MAX_XENSTORE_ENTRIES, (x, p) => int(x, p, 1, U32_MAX)),
  };
}

/** Whether one of the (ascending) runs covers `page`. */
function holdsPage(runs: readonly RamRun[], page: number): boolean {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid].page + runs[mid].data.length / PAGE <= page) lo = mid + 1;
    else hi = mid;
  }
  return lo < runs.length && runs[lo].page <= page;
}

function pv(v: unknown, path: string, ramBytes: number, runs: readonly RamRun[]): PvState {
  const o = obj(v, path);
  const ports = list(o.ports, `${path}.ports`, NR_EVENT_CHANNELS - 1, port);
  distinct(ports.map((p) => p.port), `${path}.ports`);
  for (const service of ["console", "store"] as const) {
    if (ports.filter((p) => p.kind === "host" && p.service === service).length !== 1) fail(`${path}.ports`, `must hold one ${service} port`);
  }
  const guestPages = pvLayout(ramBytes).guestPages;
  const balloon = list(o.balloon, `${path}.balloon`, guestPages, (x, p) => int(x, p, 0, guestPages - 1));
  distinct(balloon, `${path}.balloon`);
  // A page given back was zeroed and is not the guest's: no data may come with it.
  for (const page of balloon) {
    if (holdsPage(runs, page)) fail(`${path}.balloon`, `names page ${page}, which state.ram holds data for`);
  }
  return { ports, balloon, ...(o.xenstore === undefined ? {} : { xenstore: xenstore(o.xenstore, `${path}.xenstore`) }) };
}

/** `v` as a machine state of this version for a machine configured as `expect` says, or a MachineStateError. */
export function checkMachineState(v: unknown, expect: StateExpectations): MachineState {
  const o = obj(v, "state");
  if (o.format !== MACHINE_STATE_FORMAT) invalid("state.format", `must be "${MACHINE_STATE_FORMAT}"`, o.format);
  if (o.version !== MACHINE_STATE_VERSION) invalid("state.version", `must be ${MACHINE_STATE_VERSION}, the version this Domus reads`, o.version);
  if (o.builder !== expect.builder) invalid("state.builder", `must be "${expect.builder}", as the config says`, o.builder);
  if (o.memMiB !== expect.memMiB) invalid("state.memMiB", `must be ${expect.memMiB}, the config's memory`, o.memMiB);
  if (o.maxMemMiB !== expect.maxMemMiB) invalid("state.maxMemMiB", `must be ${expect.maxMemMiB}, the config's maxmem`, o.maxMemMiB);
  const ramBytes = expect.maxMemMiB * 1024 * 1024;
  const harts = list(o.harts, "state.harts", expect.harts, hart, true);
  const runs = ram(o.ram, "state.ram", ramBytes / PAGE);
  const htif = obj(o.htif, "state.htif");
  // tohost and fromhost are 8-byte words in RAM (or 0: none).
  const htifAddress = (x: unknown, p: string): bigint => {
    const a = u64(x, p);
    if (a !== 0n && (a < BigInt(RAM_BASE) || a > BigInt(RAM_BASE + ramBytes - 8))) invalid(p, "must be 0 or an address in RAM", a);
    return a;
  };
  const clint = obj(o.clint, "state.clint");
  const rtc = obj(o.rtc, "state.rtc");
  const pvState = o.pv;
  if ((pvState === undefined) !== (expect.builder === "hvm")) invalid("state.pv", expect.builder === "hvm" ? "must be absent for an HVM machine" : "must be there for a paravirtual machine", pvState);
  return {
    format: MACHINE_STATE_FORMAT,
    version: MACHINE_STATE_VERSION,
    builder: expect.builder,
    memMiB: expect.memMiB,
    maxMemMiB: expect.maxMemMiB,
    harts,
    currentHart: int(o.currentHart, "state.currentHart", 0, expect.harts - 1),
    clint: { mtime: u64(clint.mtime, "state.clint.mtime") },
    logDirty: bool(o.logDirty, "state.logDirty"),
    ram: runs,
    bootRom: bytes(o.bootRom, "state.bootRom", BOOTROM_SIZE, true),
    uart: uart(o.uart, "state.uart"),
    plic: plic(o.plic, "state.plic"),
    rtc: { offsetNs: big(rtc.offsetNs, "state.rtc.offsetNs", I64_MIN, I64_MAX), latchedHigh: int(rtc.latchedHigh, "state.rtc.latchedHigh", 0, U32_MAX) },
    htif: { tohost: htifAddress(htif.tohost, "state.htif.tohost"), fromhost: htifAddress(htif.fromhost, "state.htif.fromhost") },
    virtio: virtio(o.virtio, "state.virtio", expect),
    ...(pvState === undefined ? {} : { pv: pv(pvState, "state.pv", ramBytes, runs) }),
  };
}

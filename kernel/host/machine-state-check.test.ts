// A saved machine state may come from anywhere (a file, another host), so restoring one checks
// it first: a state of another version, memory size or shape is refused with a
// MachineStateError naming the field, and a mangled state only ever gives that error, or, when
// the mangling left it well formed, a machine that runs without crashing the host.

import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { fileURLToPath } from "node:url";
import { pack, unpack } from "msgpackr";
import { Machine, type MachineConfig } from "./machine.js";
import { MachineStateError } from "./machine-state-check.js";
import type { VirtioDevice } from "./virtqueue.js";
import type { MachineState } from "../public/machine-state.js";
import { VIRTIO_ID_BLOCK } from "../public/virtio-slot.js";

const guest = (path: string): string => fileURLToPath(new URL(`../../guests/${path}`, import.meta.url));

/** A virtio device that answers every chain at once, writing nothing. */
const quietDevice = (): VirtioDevice => ({
  deviceId: VIRTIO_ID_BLOCK, features: 0n, config: () => new Uint8Array(16), handle: (_q, _chain, done) => done(0),
});

const PV: MachineConfig = { builder: "linux", kernel: guest("minios/minios.elf"), append: "mode=echo", memMiB: 16, harts: 1, bios: null };
const hvm = (): MachineConfig => ({ bios: null, kernel: guest("isa/bin/probe_idle_forever.elf"), memMiB: 16, harts: 2, virtio: [quietDevice()] });

/** Run a machine until its guest sleeps, and save it. */
function savedIdle(config: MachineConfig): Uint8Array {
  const m = new Machine(config);
  m.onConsole = () => {};
  try {
    for (let i = 0; i < 2000 && m.step().kind !== "idle"; i++);
    return pack(m.saveState());
  } finally {
    m.close();
  }
}

function restoreError(config: MachineConfig, state: unknown): string {
  try {
    new Machine(config, state).close();
  } catch (e) {
    expect(e).toBeInstanceOf(MachineStateError);
    return (e as Error).message;
  }
  throw new Error("the state was taken");
}

type Path = (string | number)[];

/** Every place in the state a mangling can hit (not inside byte strings). */
function paths(v: unknown, at: Path = []): Path[] {
  if (v instanceof Uint8Array || typeof v !== "object" || v === null) return [at];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [at, ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...at, k]))];
}

type Mangling =
  | { readonly kind: "delete" }
  | { readonly kind: "replace"; readonly value: unknown }
  | { readonly kind: "nudge"; readonly by: number }
  | { readonly kind: "truncate"; readonly fraction: number };

const anyValue = fc.oneof(
  fc.integer(), fc.double(), fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), fc.string({ maxLength: 8 }), fc.boolean(),
  fc.constant(null), fc.constant(undefined), fc.uint8Array({ maxLength: 64 }), fc.array(fc.integer(), { maxLength: 8 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
);

const mangling: fc.Arbitrary<Mangling> = fc.oneof(
  fc.constant<Mangling>({ kind: "delete" }),
  anyValue.map((value): Mangling => ({ kind: "replace", value })),
  fc.integer({ min: -3, max: 3 }).map((by): Mangling => ({ kind: "nudge", by })),
  fc.double({ min: 0, max: 1, noNaN: true }).map((fraction): Mangling => ({ kind: "truncate", fraction })),
);

const isContainer = (v: unknown): v is Record<string | number, unknown> =>
  typeof v === "object" && v !== null && !(v instanceof Uint8Array);

/**
 * Apply `m` at `path` of `root` (the root itself is replaced wholesale, or left as it is); a path
 * an earlier mangling took away is left alone.
 */
function mangle(root: Record<string, unknown>, path: Path, m: Mangling): unknown {
  if (path.length === 0) return m.kind === "replace" ? m.value : root;
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (isContainer(o) ? o[k] : undefined), root);
  if (!isContainer(parent)) return root;
  const key = path[path.length - 1];
  const old = parent[key];
  switch (m.kind) {
    case "delete":
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case "replace":
      parent[key] = m.value;
      break;
    case "nudge":
      if (typeof old === "number") parent[key] = old + m.by;
      else if (typeof old === "bigint") parent[key] = old + BigInt(m.by) * (1n << 63n);
      else if (typeof old === "boolean") parent[key] = !old;
      break;
    case "truncate":
      if (old instanceof Uint8Array || Array.isArray(old)) parent[key] = old.slice(0, Math.floor(old.length * m.fraction));
      break;
  }
  return root;
}

describe("restoring a machine state", () => {
  let pvState: Uint8Array;
  let hvmState: Uint8Array;
  beforeAll(() => {
    pvState = savedIdle(PV);
    hvmState = savedIdle(hvm());
  });
  const fresh = (bytes: Uint8Array): MachineState => unpack(bytes);

  it("takes a state as saved, after a msgpack round trip", () => {
    new Machine(PV, unpack(pvState)).close();
    new Machine(hvm(), unpack(hvmState)).close();
  });

  it("refuses a state of another version, format or machine, naming the field", () => {
    expect(restoreError(PV, { ...fresh(pvState), version: 2 })).toMatch(/^state\.version must be 1/);
    expect(restoreError(PV, { ...fresh(pvState), format: "qemu" })).toMatch(/^state\.format/);
    expect(restoreError({ ...PV, memMiB: 32 }, fresh(pvState))).toMatch(/^state\.memMiB must be 32, the config's memory, not 16/);
    expect(restoreError({ ...hvm(), harts: 1 }, fresh(hvmState))).toMatch(/^state\.harts must be a list of 1/);
    expect(restoreError(PV, fresh(hvmState))).toMatch(/^state\.builder/);
    expect(restoreError({ ...hvm(), virtio: [] }, fresh(hvmState))).toMatch(/^state\.virtio\[0\]\.slot names slot 0, where the config has no virtio device/);
    expect(restoreError(PV, "not a state")).toMatch(/^state must be an object/);
  });

  it("refuses truncated and inconsistent fields, naming them", () => {
    const pv = fresh(pvState);
    const [run, ...runs] = pv.ram;
    expect(restoreError(PV, { ...pv, ram: [{ ...run, data: run.data.subarray(0, 100) }, ...runs] }))
      .toMatch(/^state\.ram\[0\]\.data must be whole pages/);
    const noConsole = pv.pv!.ports.filter((p) => !(p.kind === "host" && p.service === "console"));
    expect(restoreError(PV, { ...pv, pv: { ...pv.pv!, ports: noConsole } })).toMatch(/^state\.pv\.ports must hold one console port/);
    expect(restoreError(PV, { ...pv, pv: { ...pv.pv!, balloon: [run.page] } }))
      .toMatch(/^state\.pv\.balloon names page \d+, which state\.ram holds data for/);

    const hv = fresh(hvmState);
    const [h0, h1] = hv.harts;
    expect(restoreError(hvm(), { ...hv, harts: [h0, { ...h1, x: [5n, ...h1.x.slice(1)] }] })).toMatch(/^state\.harts\[1\]\.x\[0\] must be 0, not 5n/);
    expect(restoreError(hvm(), { ...hv, plic: { ...hv.plic, threshold: hv.plic.threshold.slice(1) } }))
      .toMatch(/^state\.plic\.threshold must be a list of 16/);
  });

  it.each([["paravirtual", () => PV, () => pvState], ["HVM", hvm, () => hvmState]] as const)(
    "only ever gives MachineStateError for a mangled %s state, or a machine that runs",
    (_kind, config, bytes) => {
      const places = paths(unpack(bytes()));
      fc.assert(fc.property(
        fc.array(fc.tuple(fc.nat({ max: places.length - 1 }), mangling), { minLength: 1, maxLength: 3 }),
        (manglings) => {
          let state: unknown = unpack(bytes());
          for (const [at, m] of manglings) {
            if (typeof state !== "object" || state === null) break;
            state = mangle(state as Record<string, unknown>, places[at], m);
          }
          let machine: Machine;
          try {
            machine = new Machine(config(), state);
          } catch (e) {
            if (e instanceof MachineStateError) return;
            throw e;
          }
          machine.onConsole = () => {};
          machine.onLog = () => {};
          try {
            for (let i = 0; i < 20; i++) if (machine.step(20_000).kind === "shutdown") break;
          } finally {
            machine.close();
          }
        },
      ), { numRuns: 500 });
    },
  );
});

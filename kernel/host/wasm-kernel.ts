// Loads the Wasm kernel (build/kernel.wasm) into a fresh shared memory sized for the guest's
// RAM, and gives its exports types. One instance runs one machine.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { projectRoot } from "./project-root.js";
import { GUEST_RAM_HOST_BASE, WASM_PAGE_SIZE } from "../public/kernel-abi.js";
import { ForeignPages } from "./foreign-pages.js";

export interface KernelExports {
  reset(harts: number, ramBytes: number): void;
  /** Copy the kernel's globals to the save area (kernel/public/save-area.ts), between slices. */
  saveState(): void;
  /** After reset: go on from what the host wrote to the save area, hart blocks, slots, RAM and P2M. */
  restoreState(): void;
  /** Hand the machine to another instance on the same memory (a pCPU worker's), between slices. */
  park(): void;
  /** Take up a machine that another instance parked. */
  unpark(): void;
  /** Take up a parked paravirtual machine as lane `index` of `count`: only its harts (kernel/cpu/lanes.ts). */
  unparkLane(index: number, count: number): void;
  /** End a lane's slice (the machine's own instance unparks it once every lane has). */
  parkLane(): void;
  /** The harts neither stopped nor waiting for an interrupt, a bit each. */
  runnableHarts(): number;
  run(budget: number): number;
  exitCode(): number;
  idleMs(): number;
  setHtif(tohost: number, fromhost: number): void;
  uartPush(byte: number): number;
  uartTxPending(): number;
  uartTxClear(): void;
  virtioInterrupt(slot: number, bits: number): void;
  hartPc(hart: number): number;
  startPv(harts: number, entry: number, dtb: number, startInfo: number, sharedInfo: number): void;
  hartReg(hart: number, reg: number): bigint;
  setHartReg(hart: number, reg: number, value: bigint): void;
  setLogDirty(on: number): void;
  dirtyLogCleared(): void;
  setP2mHole(page: number, hole: number): void;
  p2mChanged(): void;
}

export interface WasmKernel {
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  /** The other domains' pages this machine's grant mappings show (foreign-pages.ts). */
  readonly foreign: ForeignPages;
  /** A view of all of linear memory (re-made if memory ever grows). */
  bytes(): Uint8Array;
}

let compiled: WebAssembly.Module | undefined;

/** The compiled kernel; the kernel process compiles it at start, so a missing or broken build/kernel.wasm is reported then, not at the first domain. */
export function kernelModule(): WebAssembly.Module {
  if (compiled === undefined) {
    const wasmPath = join(projectRoot(), "build", "kernel.wasm");
    let code: Buffer;
    try {
      code = readFileSync(wasmPath);
    } catch {
      throw new Error(`the Wasm kernel is missing at ${wasmPath}: run \`npm run build\` first`);
    }
    compiled = new WebAssembly.Module(new Uint8Array(code));
  }
  return compiled;
}

/**
 * A clock every thread of the process reads alike (performance.now() counts from each thread's
 * own start), so a machine's mtime goes on smoothly when it moves between pCPU workers.
 */
const TIME_ORIGIN = performance.timeOrigin;

function monotonicMs(): number {
  return TIME_ORIGIN + performance.now();
}

/**
 * An instance of the kernel on `memory`; instantiating writes nothing there but the kernel's
 * constants. `foreign` serves its accesses to grant-mapped pages.
 */
export function instantiateKernel(
  module: WebAssembly.Module, memory: WebAssembly.Memory, foreign = new ForeignPages(memory),
): KernelExports {
  const imports = {
    env: {
      memory,
      abort(): never {
        throw new Error("the Wasm kernel aborted");
      },
    },
    host: {
      monotonicMs,
      wallClockMs: (): number => Date.now(),
      foreignLoad: (pa: bigint, size: number): boolean => foreign.load(pa, size),
      foreignStore: (pa: bigint, value: bigint, size: number): boolean => foreign.store(pa, value, size),
    },
  };
  return new WebAssembly.Instance(module, imports).exports as unknown as KernelExports;
}

/** Instantiate a kernel whose linear memory holds `ramBytes` of guest RAM. */
export function loadKernel(ramBytes: number): WasmKernel {
  const pages = Math.ceil((GUEST_RAM_HOST_BASE + ramBytes) / WASM_PAGE_SIZE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const foreign = new ForeignPages(memory);
  const exports = instantiateKernel(kernelModule(), memory, foreign);
  return {
    memory,
    exports,
    foreign,
    bytes: () => new Uint8Array(memory.buffer),
  };
}

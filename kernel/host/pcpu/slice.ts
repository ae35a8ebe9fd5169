// What the scheduler sends a pCPU worker for one slice, and what comes back.

import type { ForeignMap } from "../foreign-pages.js";

export interface SliceTask {
  /** The machine (Machine.id) whose slice this is. */
  readonly machine: number;
  /** Its memory and the kernel's module, on the first slice this pCPU runs of it. */
  readonly memory?: WebAssembly.Memory;
  readonly module?: WebAssembly.Module;
  /** Its grant mappings, when they changed since this pCPU last ran it. */
  readonly foreign?: ForeignMap;
  /** Instructions per call of the kernel's `run`; the worker calls it again while the guest computes... */
  readonly budget: number;
  /** ...until this many milliseconds have passed, or the host asks for the pCPU back. */
  readonly quantumMs: number;
  /** Set (non-zero) by the host to end the slice at the next `run` boundary: something waits for the domain (an event, input, a request). */
  readonly preempt: Int32Array;
  /** Machines that are gone: the worker drops its instances of them first. */
  readonly forget: readonly number[];
  /** Run only lane `index` of `count` (kernel/cpu/lanes.ts), beside the other lanes on other pCPUs. */
  readonly lane?: Lane;
}

export interface Lane {
  readonly index: number;
  readonly count: number;
}

export interface SliceResult {
  /** Why the slice ended (EXIT_*, kernel/public/kernel-abi.ts). */
  readonly reason: number;
  /** What goes with it: the hart of a hypercall, a power-off status. */
  readonly code: number;
}

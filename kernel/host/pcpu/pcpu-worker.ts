// A pCPU: a worker thread that runs slices of whichever domains the scheduler gives it. It keeps
// an instance of the kernel on the memory of each machine it has run; for a slice it takes the
// machine up from where the last instance left it (`unpark`), runs it, and hands it back (`park`).
// A slice is many calls of the kernel's `run` (each returns, so V8 optimises it): it goes on while
// the guest only computes, for a quantum, unless the host preempts it. A slice may be one lane of
// a paravirtual machine (kernel/cpu/lanes.ts), its other lanes running on other pCPUs meanwhile.

import { performance } from "node:perf_hooks";
import { instantiateKernel, type KernelExports } from "../wasm-kernel.js";
import { ForeignPages } from "../foreign-pages.js";
import { EXIT_BUDGET } from "../../public/kernel-abi.js";
import type { SliceResult, SliceTask } from "./slice.js";

interface Instance {
  readonly k: KernelExports;
  readonly foreign: ForeignPages;
}

const instances = new Map<number, Instance>();

export default function runSlice(task: SliceTask): SliceResult {
  for (const id of task.forget) instances.delete(id);
  let instance = instances.get(task.machine);
  if (instance === undefined) {
    if (task.memory === undefined || task.module === undefined) throw new Error(`this pCPU has no instance for machine ${task.machine}`);
    const foreign = new ForeignPages(task.memory);
    instance = { k: instantiateKernel(task.module, task.memory, foreign), foreign };
    instances.set(task.machine, instance);
  }
  if (task.foreign !== undefined) instance.foreign.take(task.foreign);
  const k = instance.k;
  if (task.lane === undefined) k.unpark();
  else k.unparkLane(task.lane.index, task.lane.count);
  const end = performance.now() + task.quantumMs;
  let reason: number;
  do reason = k.run(task.budget);
  while (reason === EXIT_BUDGET && performance.now() < end && Atomics.load(task.preempt, 0) === 0);
  if (task.lane === undefined) k.park();
  else k.parkLane();
  return { reason, code: k.exitCode() };
}

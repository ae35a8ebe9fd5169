// The host's physical CPUs as the scheduler sees them: one worker thread each (a piscina pool of
// one, so that a slice goes to the pCPU the scheduler chose: vCPU affinity). A pCPU runs one
// slice at a time; the machine's memory and the kernel's module go to a pCPU with its first
// slice of that machine.

import { join } from "node:path";
import { Piscina } from "piscina";
import { kernelModule } from "../wasm-kernel.js";
import { projectRoot } from "../project-root.js";
import type { Lane, SliceResult, SliceTask } from "./slice.js";
import type { ForeignMap } from "../foreign-pages.js";

/** What a pCPU needs of a machine for a slice (Machine.leave). */
export interface LeavingMachine {
  readonly id: number;
  readonly memory: WebAssembly.Memory;
  readonly foreign: ForeignMap;
}

/** The built worker, also when this module runs from the TypeScript sources (tests). */
const WORKER = join(projectRoot(), "dist", "kernel", "host", "pcpu", "pcpu-worker.js");

class PCpu {
  /** Its worker thread, started with its first slice: a host whose domains only idle needs none. */
  private pool: Piscina<SliceTask, SliceResult> | undefined;
  /** Machines this pCPU has an instance of the kernel for, and the version of their grant mappings it holds. */
  private readonly known = new Map<number, number>();
  /** Machines gone since the last slice, for the worker to drop. */
  private forgotten: number[] = [];
  /** Non-zero: end the running slice at the next `run` boundary. */
  private readonly preemptFlag = new Int32Array(new SharedArrayBuffer(4));
  busy = false;

  constructor(readonly id: number) {}

  async run(machine: LeavingMachine, budget: number, quantumMs: number, lane?: Lane): Promise<SliceResult> {
    const held = this.known.get(machine.id);
    Atomics.store(this.preemptFlag, 0, 0);
    const task: SliceTask = {
      machine: machine.id, budget, quantumMs, preempt: this.preemptFlag, forget: this.forgotten,
      ...(lane === undefined ? {} : { lane }),
      ...(held === undefined ? { memory: machine.memory, module: kernelModule() } : {}),
      // A new instance starts with no mappings (version 0).
      ...(machine.foreign.version !== (held ?? 0) ? { foreign: machine.foreign } : {}),
    };
    this.forgotten = [];
    this.known.set(machine.id, machine.foreign.version);
    this.busy = true;
    this.pool ??= new Piscina<SliceTask, SliceResult>({
      filename: WORKER, minThreads: 1, maxThreads: 1, idleTimeout: Infinity, recordTiming: false,
    });
    try {
      return await this.pool.run(task);
    } catch (e) {
      // The worker died with the slice: piscina starts a new one, which knows no machine.
      this.known.clear();
      throw e;
    } finally {
      this.busy = false;
    }
  }

  /** End the running slice soon (within one `run` of the kernel). */
  preempt(): void {
    if (this.busy) Atomics.store(this.preemptFlag, 0, 1);
  }

  forget(machine: number): void {
    if (this.known.delete(machine)) this.forgotten.push(machine);
  }

  close(): Promise<void> {
    return this.pool?.close({ force: true }) ?? Promise.resolve();
  }
}

export class PCpus {
  readonly all: readonly PCpu[];

  constructor(count: number) {
    this.all = Array.from({ length: count }, (_, i) => new PCpu(i));
  }

  get count(): number {
    return this.all.length;
  }

  /** A machine is gone: every pCPU drops its instance with its next slice. */
  forget(machine: number): void {
    for (const cpu of this.all) cpu.forget(machine);
  }

  close(): Promise<void> {
    return Promise.all(this.all.map((cpu) => cpu.close())).then(() => undefined);
  }
}

export type { PCpu };

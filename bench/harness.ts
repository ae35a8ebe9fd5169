// Shared benchmark machinery: timing a spawned emulator, repeating QEMU and Domus
// side by side, and summarising with medians. Every benchmark file uses only this.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import type { Writable } from 'node:stream';

/** Repo root: this file runs as dist/bench/harness.js. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The Domus CLI under test; env DOMUS_CLI points elsewhere (e.g. another worktree's build). */
export const DOMUS_CLI = process.env.DOMUS_CLI || join(ROOT, 'dist', 'tools', 'domus.js');
export const QEMU = 'qemu-system-riscv64';

/** Repetitions per side (env BENCH_RUNS, default 5): medians of few runs resist a noisy 2-core box. */
export function benchRuns(): number {
  const raw = process.env.BENCH_RUNS;
  if (raw === undefined || raw === '') return 5;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_RUNS must be a positive integer, got "${raw}"`);
  return n;
}

/** Per-run limit (env BENCH_TIMEOUT_S, default 600 s): generous because Domus may be far slower than QEMU. */
function timeoutMs(): number {
  const n = Number(process.env.BENCH_TIMEOUT_S ?? 600);
  return (Number.isFinite(n) && n > 0 ? n : 600) * 1000;
}

export interface Command {
  cmd: string;
  args: string[];
}

export function qemu(args: string[]): Command {
  return { cmd: QEMU, args };
}

/** The Domus CLI: `domus run ...`, guest console on stdin/stdout, exit status = guest's. */
export function domus(args: string[]): Command {
  return { cmd: process.execPath, args: [DOMUS_CLI, 'run', ...args] };
}

export interface Timed {
  /** Milliseconds from just before spawn to the stop condition (or to process exit). */
  ms: number;
  /** Everything the guest wrote to stdout. */
  output: string;
  exitCode: number | null;
}

/**
 * Decides when the clock stops. Called with all stdout so far after each chunk; may write
 * to the guest's stdin. Return true to stop timing (the process is then killed).
 */
export type StopWhen = (output: string, stdin: Writable) => boolean;

/** Process groups still running, killed if the harness itself is interrupted. */
const live = new Set<number>();

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const pid of live) killGroup(pid);
    process.exit(130);
  });
}

const tail = (s: string): string => s.slice(-400).replace(/\r/g, '');

/**
 * Spawns `command` and times it: until `stopWhen` says so (then kills it), or without
 * `stopWhen` until it exits. Resolves only after the process is gone, so the next run
 * never shares the 2 cores with a dying one.
 */
export function timeProcess(command: Command, stopWhen?: StopWhen): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    // Own process group, so a kill also reaches anything the emulator spawned itself.
    const child = spawn(command.cmd, command.args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const kill = (): void => killGroup(child.pid);
    if (child.pid !== undefined) live.add(child.pid);
    let output = '';
    let stderr = '';
    let stoppedAt: number | undefined;
    let exitedAt: number | undefined;
    let failure: Error | undefined;

    const timer = setTimeout(() => {
      failure = new Error(`timed out after ${timeoutMs() / 1000} s; output ends: ${tail(output)}`);
      kill();
    }, timeoutMs());

    // Writes after the child dies would raise EPIPE; that is expected, not a failure.
    child.stdin.on('error', () => {});
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (stoppedAt === undefined && stopWhen?.(output, child.stdin)) {
        stoppedAt = performance.now();
        kill();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', () => (exitedAt = performance.now()));
    child.on('error', (e) => {
      failure = new Error(`cannot run ${command.cmd}: ${e.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) live.delete(child.pid);
      if (failure) return reject(failure);
      if (stopWhen) {
        if (stoppedAt === undefined) {
          return reject(new Error(`exited (${code}) before the expected output; output ends: ${tail(output)} ${tail(stderr)}`));
        }
        return resolve({ ms: stoppedAt - start, output, exitCode: code });
      }
      resolve({ ms: (exitedAt ?? performance.now()) - start, output, exitCode: code });
    });
  });
}

/** One measured run: its time, and a result that must agree across runs and emulators (e.g. a checksum). */
export interface Sample {
  ms: number;
  result?: string;
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function stats(xs: number[]): Stats {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** A side's outcome: measured, failed, or not run (Domus CLI not built yet). */
export type SideResult = { kind: 'ok'; stats: Stats; result?: string } | { kind: 'error'; message: string } | { kind: 'skipped'; reason: string };

export interface Row {
  benchmark: string;
  qemu: SideResult;
  domus: SideResult;
  /** Set when the runs did not all produce the same result. */
  mismatch?: string;
}

export interface Case {
  /** Row label, e.g. "uboot-boot: OpenSBI + S-mode U-Boot to prompt". */
  benchmark: string;
  qemu: Command;
  domus: Command;
  /** Times one run of `command` (typically via timeProcess) and extracts its result. */
  measure: (command: Command) => Promise<Sample>;
}

const progress = (msg: string): void => void process.stderr.write(`${msg}\n`);

/**
 * Runs a case `runs` times per side, interleaving QEMU and Domus (alternating which goes
 * first) so slow drifts in machine load hit both alike. A side stops at its first failure.
 */
export async function compare(c: Case, runs = benchRuns()): Promise<Row> {
  const sides = { qemu: new Side(c.qemu), domus: new Side(c.domus) };
  if (!existsSync(DOMUS_CLI)) sides.domus.skip(`${relative(ROOT, DOMUS_CLI)} not built`);

  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['qemu', 'domus'] as const) : (['domus', 'qemu'] as const);
    for (const name of order) {
      const side = sides[name];
      if (side.done()) continue;
      try {
        const s = await c.measure(side.command);
        side.samples.push(s);
        progress(`  ${c.benchmark} [${name} ${i + 1}/${runs}] ${s.ms.toFixed(0)} ms${s.result ? ` ${s.result}` : ''}`);
      } catch (e) {
        side.fail(e instanceof Error ? e.message : String(e));
        progress(`  ${c.benchmark} [${name} ${i + 1}/${runs}] FAILED: ${side.error}`);
      }
    }
  }

  const row: Row = { benchmark: c.benchmark, qemu: sides.qemu.result(), domus: sides.domus.result() };
  // Both emulators must compute the same thing, or the timing comparison means nothing.
  const results = new Set([...sides.qemu.samples, ...sides.domus.samples].map((s) => s.result));
  if (results.size > 1) {
    row.mismatch = `results differ: ${[...results].join(' vs ')}`;
  }
  return row;
}

class Side {
  readonly samples: Sample[] = [];
  error?: string;
  private skipped?: string;
  constructor(readonly command: Command) {}
  skip(reason: string): void {
    this.skipped = reason;
  }
  fail(message: string): void {
    this.error = message;
  }
  done(): boolean {
    return this.skipped !== undefined || this.error !== undefined;
  }
  result(): SideResult {
    if (this.skipped !== undefined) return { kind: 'skipped', reason: this.skipped };
    if (this.error !== undefined) return { kind: 'error', message: this.error };
    const ms = this.samples.map((s) => s.ms);
    return { kind: 'ok', stats: stats(ms), result: this.samples[0]?.result };
  }
}

/** True if the row has a real failure (not merely an unbuilt Domus). */
export function rowFailed(r: Row): boolean {
  return r.qemu.kind === 'error' || r.domus.kind === 'error' || r.mismatch !== undefined;
}

// Shared benchmark machinery: timing a spawned emulator, repeating QEMU and Domus
// side by side, summarising with medians, and a whole Domus host under a temporary
// DOMUS_HOME for the benchmarks that need one. Every benchmark file uses only this.
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { homePaths } from '../tools/lib/home.js';
import { readPid } from '../tools/supervisor/pidfile.js';
import { readStatus } from '../tools/supervisor/status-file.js';
import { KernelClient } from '../tools/kernel-client.js';
import type { DomainSpec } from '../kernel/public/protocol.js';

/** Repo root: this file runs as dist/bench/harness.js. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The Domus CLI under test; env DOMUS_CLI points elsewhere (e.g. another worktree's build). */
export const DOMUS_CLI = process.env.DOMUS_CLI || join(ROOT, 'dist', 'tools', 'domus.js');
export const QEMU = 'qemu-system-riscv64';
/** The xm CLI that goes with DOMUS_CLI. */
export const XM_CLI = join(dirname(DOMUS_CLI), 'xm', 'main.js');

/** Reads a tool's first output line; "unknown" rather than failing the whole report. */
export function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0].trim();
  } catch {
    return 'unknown';
  }
}

/** "2 cores (nproc), <CPU model>; Node vX" and whatever else the benchmark names (its peer's version). */
export function machineLine(...more: string[]): string {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  return [`${firstLine('nproc', [])} cores (nproc), ${model}; Node ${process.version}`, ...more].join('; ');
}

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

/** Temporary DOMUS_HOMEs of running hosts, removed if the harness is interrupted. */
const liveHomes = new Set<string>();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const pid of live) killGroup(pid);
    for (const home of liveHomes) rmSync(home, { recursive: true, force: true });
    process.exit(130);
  });
}

const tail = (s: string): string => s.slice(-400).replace(/\r/g, '');

/**
 * Spawns `command` as the leader of its own process group, so a kill also reaches anything
 * it spawned itself; the group is killed if the harness is interrupted.
 */
function spawnGroup(command: Command): ChildProcessWithoutNullStreams {
  const child = spawn(command.cmd, command.args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    live.add(pid);
    child.on('close', () => live.delete(pid));
  }
  // Writes after the child dies would raise EPIPE; that is expected, not a failure.
  child.stdin.on('error', () => {});
  return child;
}

/**
 * Spawns `command` and times it: until `stopWhen` says so (then kills it), or without
 * `stopWhen` until it exits. Resolves only after the process is gone, so the next run
 * never shares the 2 cores with a dying one.
 */
export function timeProcess(command: Command, stopWhen?: StopWhen): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawnGroup(command);
    const kill = (): void => killGroup(child.pid);
    let output = '';
    let stderr = '';
    let stoppedAt: number | undefined;
    let exitedAt: number | undefined;
    let failure: Error | undefined;

    const timer = setTimeout(() => {
      failure = new Error(`timed out after ${timeoutMs() / 1000} s; output ends: ${tail(output)}`);
      kill();
    }, timeoutMs());

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

/** A process left running (e.g. an idle guest) until stop(). */
export interface Running {
  readonly pid: number;
  /** Kills its process group; resolves once it is gone. */
  stop(): Promise<void>;
}

/** Spawns `command` and resolves, leaving it running, once its stdout satisfies `ready`. */
export function startProcess(command: Command, ready: (output: string) => boolean, limitMs = 30_000): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawnGroup(command);
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    const stop = async (): Promise<void> => {
      killGroup(child.pid);
      await closed;
    };
    let output = '';
    let isReady = false;
    const fail = (why: string): void => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`${command.cmd}: ${why}; output ends: ${tail(output)}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${limitMs} ms`), limitMs);
    child.on('error', (e) => fail(`cannot run: ${e.message}`));
    child.on('close', (code) => isReady || fail(`exited (${code}) before it was ready`));
    child.stderr.resume();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (isReady) return;
      output += chunk;
      if (ready(output)) {
        isReady = true;
        clearTimeout(timer);
        resolve({ pid: child.pid!, stop });
      }
    });
  });
}

const execFileP = promisify(execFile);

/** `promise`, or a rejection naming `what` after `ms` (the timer does not keep the process alive). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms / 1000} s`)), ms).unref()),
  ]);
}

/**
 * A Domus host (`domus up`: supervisor, kernel, store, xend) under a fresh temporary
 * DOMUS_HOME. The supervisor leads its own process group, which holds every service, so a
 * failed `domus down` (or an interrupted benchmark) is cleaned up by killing that group.
 */
export class DomusHost {
  private constructor(
    readonly home: string,
    private readonly supervisor: number,
  ) {}

  static async up(): Promise<DomusHost> {
    const home = mkdtempSync(join(tmpdir(), 'domus-bench-'));
    const supervisor = (): number | undefined => readPid(homePaths(home).supervisorPid);
    try {
      await execFileP(process.execPath, [DOMUS_CLI, 'up', '--home', home]);
    } catch (e) {
      killGroup(supervisor());
      rmSync(home, { recursive: true, force: true });
      throw new Error(`domus up --home ${home} failed: ${(e as { stdout?: string }).stdout ?? ''}${(e as Error).message}`);
    }
    const pid = supervisor()!;
    live.add(pid);
    liveHomes.add(home);
    return new DomusHost(home, pid);
  }

  /** The pid of one of the host's services ("kernel", "store", "xend"). */
  pid(service: string): number {
    const s = readStatus(homePaths(this.home).supervisorStatus)?.services.find((x) => x.name === service);
    if (!s?.pid) throw new Error(`no running ${service} in ${this.home}`);
    return s.pid;
  }

  /** The pids of the supervisor and every service it runs. */
  pids(): number[] {
    const services = readStatus(homePaths(this.home).supervisorStatus)?.services ?? [];
    return [this.supervisor, ...services.flatMap((s) => (s.pid ? [s.pid] : []))];
  }

  /** `xm --home HOME ...args` on this host. */
  xm(args: string[]): Command {
    return { cmd: process.execPath, args: [XM_CLI, '--home', this.home, ...args] };
  }

  /** `domus down`; whatever survives it is killed; the home is removed. */
  async down(): Promise<void> {
    try {
      await execFileP(process.execPath, [DOMUS_CLI, 'down', '--home', this.home]);
    } catch (e) {
      progress(`  domus down --home ${this.home} failed (${(e as Error).message.trim()}); killing its process group`);
    }
    try {
      process.kill(-this.supervisor, 0); // anything left in the group?
      killGroup(this.supervisor);
    } catch {
      // All gone, as expected.
    }
    live.delete(this.supervisor);
    liveHomes.delete(this.home);
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** `work` with a kernel client on a fresh host, subscribed to console and domain events; the host goes down after. */
export async function onFreshHost<T>(work: (kernel: KernelClient) => Promise<T>): Promise<T> {
  const host = await DomusHost.up();
  let kernel: KernelClient | undefined;
  try {
    kernel = await KernelClient.connect(host.home);
    await kernel.subscribe(['console', 'domain']);
    return await work(kernel);
  } finally {
    kernel?.close();
    await host.down();
  }
}

/**
 * Creates the domains `specs` at once on `kernel` (subscribed to console and domain events, as
 * onFreshHost leaves it); resolves with the ms until the last has powered off having printed
 * `done`, and fails if one stops otherwise.
 */
export async function domainsToPoweroff(kernel: KernelClient, specs: readonly DomainSpec[], done: RegExp): Promise<number> {
  const output = new Map<number, string>();
  const pending = new Set<number>();
  let finished: () => void = () => {};
  let failed: (e: Error) => void = () => {};
  const all = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const stopListening = kernel.onEvent((e) => {
    if (!pending.has(e.domid)) return;
    if (e.event === 'console') output.set(e.domid, (output.get(e.domid) ?? '') + Buffer.from(e.data).toString('latin1'));
    else if (e.state === 'shutdown' || e.state === 'crashed') {
      const text = output.get(e.domid) ?? '';
      if (e.reason !== 'poweroff' || !done.test(text)) failed(new Error(`domain ${e.domid} stopped (${e.reason}) without ${done}; output ends: ${tail(text)}`));
      pending.delete(e.domid);
      if (pending.size === 0) finished();
    }
  });
  const t0 = performance.now();
  for (const spec of specs) pending.add(await kernel.createDomain(spec));
  try {
    await within(all, 120_000, `${specs.map((s) => s.name).join(', ')} to power off`);
  } finally {
    stopListening();
  }
  return performance.now() - t0;
}

/** One measured run: its time, and a result that must agree across runs and emulators (e.g. a checksum). */
export interface Sample {
  /** The run's figure: milliseconds, or the case's `unit`. */
  ms: number;
  result?: string;
  /** Further figures from the same run, by name, each reported as a row of its own (see Case.also). */
  also?: Record<string, number>;
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
  /** What the figures count, if not wall-clock ms (e.g. "% CPU"). */
  unit?: string;
  /** Set when the runs did not all produce the same result. */
  mismatch?: string;
  /** A remark for the result column (e.g. what limited a scaling benchmark). */
  note?: string;
}

export interface Case {
  /** Row label, e.g. "uboot-boot: OpenSBI + S-mode U-Boot to prompt". */
  benchmark: string;
  /** The peer (QEMU or whatever stands in for it), or why there is none for this case. */
  qemu: Command | string;
  domus: Command;
  /** Times one run of `command` (typically via timeProcess) and extracts its result. */
  measure: (command: Command) => Promise<Sample>;
  /** What Sample.ms counts, if not wall-clock ms (e.g. "% CPU"). */
  unit?: string;
  /**
   * Rows for the figures in Sample.also: name -> row label. A side whose samples lack a
   * figure (typically the peer, which has only one) is shown with its main figure there.
   */
  also?: Record<string, string>;
}

const progress = (msg: string): void => void process.stderr.write(`${msg}\n`);

/**
 * Runs a case `runs` times per side, interleaving QEMU and Domus (alternating which goes
 * first) so slow drifts in machine load hit both alike. A side stops at its first failure.
 */
export async function compare(c: Case, runs = benchRuns()): Promise<Row> {
  return (await compareRows(c, runs))[0];
}

/** As compare, with one more row for each figure in Case.also (same runs, same peer). */
export async function compareRows(c: Case, runs = benchRuns()): Promise<Row[]> {
  // Without a peer, its side is a placeholder that is skipped, never run.
  const sides = { qemu: new Side(typeof c.qemu === 'string' ? c.domus : c.qemu), domus: new Side(c.domus) };
  if (typeof c.qemu === 'string') sides.qemu.skip(c.qemu);
  if (!existsSync(DOMUS_CLI)) sides.domus.skip(`${relative(ROOT, DOMUS_CLI)} not built`);
  const unit = c.unit ?? 'ms';

  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['qemu', 'domus'] as const) : (['domus', 'qemu'] as const);
    for (const name of order) {
      const side = sides[name];
      if (side.done()) continue;
      try {
        const s = await c.measure(side.command);
        side.samples.push(s);
        const also = Object.entries(s.also ?? {}).map(([k, v]) => `, ${k} ${v.toFixed(1)}`);
        progress(`  ${c.benchmark} [${name} ${i + 1}/${runs}] ${s.ms.toFixed(unit === 'ms' ? 0 : 2)} ${unit}${also.join('')}${s.result ? ` ${s.result}` : ''}`);
      } catch (e) {
        side.fail(e instanceof Error ? e.message : String(e));
        progress(`  ${c.benchmark} [${name} ${i + 1}/${runs}] FAILED: ${side.error}`);
      }
    }
  }

  const rows: Row[] = [{ benchmark: c.benchmark, qemu: sides.qemu.result(), domus: sides.domus.result() }];
  for (const [key, label] of Object.entries(c.also ?? {})) {
    rows.push({ benchmark: label, qemu: sides.qemu.result(key), domus: sides.domus.result(key) });
  }
  // Both emulators must compute the same thing, or the timing comparison means nothing.
  const results = new Set([...sides.qemu.samples, ...sides.domus.samples].map((s) => s.result));
  for (const row of rows) {
    if (c.unit !== undefined) row.unit = c.unit;
    if (results.size > 1) row.mismatch = `results differ: ${[...results].join(' vs ')}`;
  }
  return rows;
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
  /** The main figure, or with `key` the Sample.also figure of that name (falling back to the main one). */
  result(key?: string): SideResult {
    if (this.skipped !== undefined) return { kind: 'skipped', reason: this.skipped };
    if (this.error !== undefined) return { kind: 'error', message: this.error };
    const ms = this.samples.map((s) => (key === undefined ? s.ms : (s.also?.[key] ?? s.ms)));
    return { kind: 'ok', stats: stats(ms), result: this.samples[0]?.result };
  }
}

/** True if the row has a real failure (not merely an unbuilt Domus). */
export function rowFailed(r: Row): boolean {
  return r.qemu.kind === 'error' || r.domus.kind === 'error' || r.mismatch !== undefined;
}

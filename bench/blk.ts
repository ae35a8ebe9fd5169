// blk: disk throughput of the block service (services/blk) against fio, on one host file.
//
// One 256 MiB raw image in a temporary directory, pre-filled with random bytes and then left
// alone: nothing is dropped from the page cache, so every path reads from a warm page cache and
// writes into it (nobody flushes: fio runs without fsync, and the block service only syncs on a
// virtio flush, which no workload here sends). Four patterns: sequential 64 KiB read and write,
// random 4 KiB read and write. Paths, each run interleaved with the others (BENCH_RUNS runs):
//
//   fio            Debian's /usr/bin/fio, --output-format=json, buffered I/O, one job:
//                  psync at queue depth 1, and io_uring at queue depth 16 (io_uring rather than
//                  libaio: on buffered files libaio submits synchronously, so its iodepth would
//                  mean nothing). BENCH_BLK_SECONDS (default 3) after a 0.5 s ramp.
//                  (BENCH_BLK_PATHS=fio,plain,echo,backend,guest runs only the paths named.)
//   plain Unix     bench/blk-plain.ts on a Unix socket this process listens on, no framing: a
//     socket       write is 64 KiB from here answered with one byte, a read one byte answered
//                  with 64 KiB; 1 or 16 in flight. This process reads as the kernel does (Node's
//                  own 64 KiB reads), blk-plain.ts as the services do (onread, large reads).
//                  Sequential patterns only: the ceiling for any backend on this socket.
//   backend alone  the real block service process (dist/services/blk/main.js) and the real store
//                  (dist/services/store/main.js) under a temporary home; in place of the kernel,
//                  FakeKernel below listens on HOME/run/kernel.sock, answers backend.hello and
//                  device.attach, and pushes virtio.request frames (16-byte virtio-blk header,
//                  then the write data), keeping 1 or 16 in flight and matching virtio.done by
//                  tag. The disk is plugged the way xend does it: backend nodes written to the
//                  store with XsClient. Same duration and ramp as fio. Before timing, 16 random
//                  4 KiB blocks read through the service are compared with the file.
//   socket path    bench/blk-echo.ts in place of the service: the service's own kernel
//     alone        connection (services/common/kernel-port.ts) answering each request at once,
//                  without an image. The ceiling for any backend on this socket and framing;
//                  the gap to "backend alone" is the service's own work.
//   inside a guest a real host (`domus up`), an HVM domain running Debian's M-mode U-Boot with
//                  disk = ['file:IMAGE,xvda,w'], its console driven through `xm create -c` on
//                  pipes. Each pattern is one command line typed at the prompt, timed on the host
//                  from typing it to the prompt coming back: a hush `while` loop of
//                  `virtio read|write` of 128 blocks (64 KiB) over 32 MiB, or of 8 blocks (4 KiB)
//                  at 2048 places picked by a 64-bit LCG in setexpr. U-Boot has one request in
//                  flight. The same loops without the virtio command are timed too; the cost of
//                  the shell loop is shown, and subtracted in the "loop cost subtracted" figures.
//                  The domain is paused between runs (U-Boot polls its console at the prompt).
//
// `node dist/bench/run.js blk` prints rows for the common table (peer column = fio, unit MB/s,
// ratio = the Domus path's share of fio's throughput); `node dist/bench/blk.js` prints the full
// table (MB/s, IOPS, ratios). Either with --write also puts the full table into BENCHMARKS.md
// between its own markers (<!-- bench:blk:start/end -->), leaving the other sections alone.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { encodeFrame, encodeRawFrame, FrameReader } from '../kernel/public/frames.js';
import { KERNEL_SOCKET } from '../kernel/public/protocol.js';
import { backendPath, BACKEND_DOMID, frontendPath, BACKEND_VIRTIO, XenbusState } from '../kernel/public/xen/xenbus.js';
import { XsClient } from '../services/store/client.js';
import { UBOOT_MMODE } from '../tools/debian-firmware.js';
import { benchRuns, DomusHost, firstLine, machineLine, median, ROOT, within, XM_CLI, type Row, type SideResult } from './harness.js';
import { listening } from '../tools/lib/frame-server.js';
import { writeBatched } from '../kernel/host/socket-batch.js';

const FIO = '/usr/bin/fio';
const STORE_MAIN = join(ROOT, 'dist', 'services', 'store', 'main.js');
const BLK_MAIN = join(ROOT, 'dist', 'services', 'blk', 'main.js');
const ECHO_MAIN = join(ROOT, 'dist', 'bench', 'blk-echo.js');
const PLAIN_MAIN = join(ROOT, 'dist', 'bench', 'blk-plain.js');
const MiB = 1024 * 1024;
const IMAGE_BYTES = 256 * MiB;
const SECTOR = 512;
const RAMP_MS = 500;
const QD = 16;
/** A backend that leaves a request unanswered this long has failed. */
const STALL_MS = 10_000;
/** The guest's disk in the store: domain 1, xvda. */
const DOMID = 1;
const DEVID = 51712;
const GUEST = 'blkbench';
const LOAD_ADDR = '84000000';
/** Guest workloads: 32 MiB sequential in 64 KiB commands; 2048 random 4 KiB commands. */
const GUEST_SEQ_BYTES = 32 * MiB;
const GUEST_RAND_OPS = 2048;

/** BENCH_BLK_PATHS (comma-separated: fio, plain, echo, backend, guest) runs only those; default all. */
function selected(key: string): boolean {
  const raw = process.env.BENCH_BLK_PATHS;
  return raw === undefined || raw === '' || raw.split(',').map((x) => x.trim()).includes(key);
}

function seconds(): number {
  const raw = process.env.BENCH_BLK_SECONDS;
  const n = raw === undefined || raw === '' ? 3 : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`BENCH_BLK_SECONDS must be a positive number, got "${raw}"`);
  return n;
}

interface Pattern {
  readonly key: string;
  readonly label: string;
  readonly fio: 'read' | 'write' | 'randread' | 'randwrite';
  readonly bs: number;
  readonly write: boolean;
  readonly random: boolean;
}

const PATTERNS: readonly Pattern[] = [
  { key: 'seqread', label: 'sequential 64 KiB read', fio: 'read', bs: 64 * 1024, write: false, random: false },
  { key: 'seqwrite', label: 'sequential 64 KiB write', fio: 'write', bs: 64 * 1024, write: true, random: false },
  { key: 'randread', label: 'random 4 KiB read', fio: 'randread', bs: 4096, write: false, random: true },
  { key: 'randwrite', label: 'random 4 KiB write', fio: 'randwrite', bs: 4096, write: true, random: true },
];

/** One measurement: throughput in MB/s (10^6 bytes) and operations per second. */
interface Figure {
  readonly mbps: number;
  readonly iops: number;
}

type PathKey = 'fio1' | 'fio16' | 'plain1' | 'plain16' | 'echo1' | 'echo16' | 'backend1' | 'backend16' | 'guest' | 'guestNet';

interface PathInfo {
  readonly label: string;
  readonly depth: number;
  /** The fio path a ratio is taken against (same queue depth). */
  readonly peer?: PathKey;
  /** Measured for the sequential patterns only. */
  readonly sequentialOnly?: boolean;
}

const PATHS: Record<PathKey, PathInfo> = {
  fio1: { label: 'fio psync', depth: 1 },
  fio16: { label: 'fio io_uring', depth: QD },
  plain1: { label: 'plain Unix socket (one way, no framing)', depth: 1, peer: 'fio1', sequentialOnly: true },
  plain16: { label: 'plain Unix socket (one way, no framing)', depth: QD, peer: 'fio16', sequentialOnly: true },
  echo1: { label: 'socket path alone (no image)', depth: 1, peer: 'fio1' },
  echo16: { label: 'socket path alone (no image)', depth: QD, peer: 'fio16' },
  backend1: { label: 'backend alone', depth: 1, peer: 'fio1' },
  backend16: { label: 'backend alone', depth: QD, peer: 'fio16' },
  guest: { label: 'inside a guest (U-Boot)', depth: 1, peer: 'fio1' },
  guestNet: { label: 'inside a guest, loop cost subtracted', depth: 1, peer: 'fio1' },
};

const progress = (msg: string): void => void process.stderr.write(`${msg}\n`);
const execFileP = promisify(execFile);

// ---- cleanup: temp directories and child processes, also when the harness is interrupted ----

const liveDirs = new Set<string>();
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of liveChildren) {
    try {
      if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  liveDirs.add(d);
  return d;
}

function removeDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  liveDirs.delete(d);
}

/** A node process whose stderr is kept (its tail goes into error messages). */
function spawnNode(args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  liveChildren.add(child);
  child.on('exit', () => liveChildren.delete(child));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-2000)));
  return { child, stderr: () => err };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

// ---- the image ----

/** 256 MiB of random bytes, synced once so its pages are cached and clean before any run. */
function makeImage(dir: string): string {
  const path = join(dir, 'disk.raw');
  const fd = openSync(path, 'w');
  try {
    for (let off = 0; off < IMAGE_BYTES; off += MiB) writeSync(fd, randomBytes(MiB), 0, MiB, off);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return path;
}

// ---- fio ----

interface FioSide {
  bw_bytes: number;
  iops: number;
}

async function fio(image: string, p: Pattern, depth: number): Promise<Figure> {
  const args = [
    '--name=blk', `--filename=${image}`, `--size=${IMAGE_BYTES}`, `--rw=${p.fio}`, `--bs=${p.bs}`,
    `--ioengine=${depth === 1 ? 'psync' : 'io_uring'}`, `--iodepth=${depth}`, '--numjobs=1',
    '--time_based', `--runtime=${Math.round(seconds() * 1000)}ms`, `--ramp_time=${RAMP_MS}ms`,
    // Keep the page cache as it is (fio would otherwise drop the file's pages before the job).
    '--invalidate=0', '--norandommap', '--randrepeat=0', '--output-format=json',
  ];
  const { stdout } = await execFileP(FIO, args, { maxBuffer: 16 * MiB });
  const json = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs: { error: number; read: FioSide; write: FioSide }[] };
  const job = json.jobs[0];
  if (job.error !== 0) throw new Error(`fio ${args.join(' ')}: error ${job.error}`);
  const side = p.write ? job.write : job.read;
  return { mbps: side.bw_bytes / 1e6, iops: side.iops };
}

/** Every pattern with psync at QD 1 and io_uring at QD 16. */
async function fioRun(image: string): Promise<Map<string, Figure>> {
  const out = new Map<string, Figure>();
  for (const p of PATTERNS) for (const depth of [1, QD]) out.set(`${p.key}/${depth}`, await fio(image, p, depth));
  return out;
}

// ---- backend alone: the block service with a stand-in for the kernel ----

interface Done {
  readonly written: number;
  readonly raw: Uint8Array;
}

/** Listens on `path` for the one connection a path of the benchmark needs. */
function listenOn(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

/** A peer the benchmark keeps requests in flight with: it reports (once) a broken connection. */
interface Peer {
  whenBroken(handler: (e: Error) => void): void;
}

/** The benchmark's end of the one connection a peer process makes; it notes (once) how it broke. */
abstract class OneConnection implements Peer {
  protected socket: Socket | undefined;
  private failure: Error | undefined;
  private onFailure: ((e: Error) => void) | undefined;

  protected constructor(private readonly server: Server, what: string) {
    server.on('connection', (s: Socket) => {
      if (this.socket !== undefined) {
        s.destroy();
        return;
      }
      this.socket = s;
      s.on('error', (e) => this.fail(e));
      s.on('close', () => this.fail(new Error(`${what} closed its connection`)));
      this.accepted(s);
    });
  }

  /** The peer connected. */
  protected abstract accepted(s: Socket): void;

  protected fail(e: Error): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    this.onFailure?.(e);
  }

  /** Calls `handler` (once) if the connection breaks; at once if it already has. */
  whenBroken(handler: (e: Error) => void): void {
    if (this.failure !== undefined) handler(this.failure);
    else this.onFailure = handler;
  }

  close(): void {
    this.failure ??= new Error('closed');
    this.socket?.destroy();
    this.server.close();
  }
}

/**
 * The kernel's side of the backend protocol, and nothing else: it accepts one backend
 * connection, answers backend.hello and device.attach, and pushes virtio requests.
 */
export class FakeKernel extends OneConnection {
  private readonly reader = new FrameReader();
  private readonly waiting = new Map<number, (d: Done) => void>();
  private nextTag = 1;
  readonly hello: Promise<void>;
  readonly attached: Promise<{ domid: number; devid: number }>;
  private helloSeen!: () => void;
  private attachSeen!: (a: { domid: number; devid: number }) => void;

  private constructor(server: Server) {
    super(server, 'the backend');
    this.hello = new Promise((r) => (this.helloSeen = r));
    this.attached = new Promise((r) => (this.attachSeen = r));
  }

  protected accepted(s: Socket): void {
    s.on('data', (chunk: Buffer) => {
      try {
        for (const m of this.reader.push(chunk)) this.dispatch(m as Record<string, unknown>);
      } catch (e) {
        this.fail(e as Error);
      }
    });
  }

  static async listen(path: string): Promise<FakeKernel> {
    return new FakeKernel(await listenOn(path));
  }

  private reply(id: unknown, result: unknown): void {
    this.socket!.write(encodeFrame({ id, ok: true, result }));
  }

  private dispatch(m: Record<string, unknown>): void {
    switch (m.op) {
      case 'backend.hello':
        this.reply(m.id, null);
        this.helloSeen();
        return;
      case 'device.attach':
        this.reply(m.id, { slot: 0 });
        this.attachSeen({ domid: m.domid as number, devid: m.devid as number });
        return;
      case 'device.detach':
        this.reply(m.id, null);
        return;
      case 'virtio.done': {
        const cb = this.waiting.get(m.tag as number);
        if (cb === undefined) return this.fail(new Error(`virtio.done for unknown tag ${String(m.tag)}`));
        this.waiting.delete(m.tag as number);
        cb({ written: m.written as number, raw: m.raw as Uint8Array });
        return;
      }
      default:
        if (typeof m.id === 'number') this.socket!.write(encodeFrame({ id: m.id, ok: false, error: `not served by the benchmark: ${String(m.op)}` }));
    }
  }

  /** Push one descriptor chain; `raw` must not change until `done` is called. */
  request(raw: Uint8Array, writable: number, done: (d: Done) => void): void {
    const tag = this.nextTag++;
    this.waiting.set(tag, done);
    // As the kernel pushes them (backend-link.ts): the requests of one turn leave together.
    writeBatched(this.socket!, ...encodeRawFrame({ event: 'virtio.request', tag, domid: DOMID, devid: DEVID, queue: 0, writable }, raw));
  }
}

function header(buf: Uint8Array, type: number, offset: number): void {
  const v = new DataView(buf.buffer, buf.byteOffset, 16);
  v.setUint32(0, type, true);
  v.setUint32(4, 0, true);
  v.setBigUint64(8, BigInt(offset / SECTOR), true);
}

/** One request at a time: read `len` bytes at `offset` through the service. */
function readOnce(k: FakeKernel, offset: number, len: number): Promise<Uint8Array> {
  const req = new Uint8Array(16);
  header(req, 0, offset);
  return new Promise((resolve, reject) => {
    k.request(req, len + 1, (d) => {
      if (d.written !== len + 1 || d.raw[len] !== 0) reject(new Error(`read of ${len} bytes at ${offset}: written ${d.written}, status ${d.raw[len]}`));
      else resolve(d.raw.slice(0, len));
    });
  });
}

/** Reads 16 random 4 KiB blocks through the service and compares them with the file. */
async function checkData(k: FakeKernel, image: string): Promise<void> {
  const fd = openSync(image, 'r');
  try {
    for (let i = 0; i < 16; i++) {
      const offset = Math.floor(Math.random() * (IMAGE_BYTES / 4096)) * 4096;
      const got = await readOnce(k, offset, 4096);
      const want = Buffer.alloc(4096);
      readSync(fd, want, 0, 4096, offset);
      if (Buffer.compare(want, got) !== 0) throw new Error(`the block service read different bytes than the file holds at ${offset}`);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Keeps `depth` requests in flight with `peer` for the ramp plus `seconds()` and counts those
 * answered after it, each moving `bytes`. `send(slot, done)` issues one request in `slot` (0 to
 * depth - 1, free again once answered) and calls `done` with its answer's fault, if any.
 */
function keepInFlight(peer: Peer, what: string, depth: number, bytes: number, send: (slot: number, done: (fault?: string) => void) => void): Promise<Figure> {
  const start = performance.now();
  const rampEnd = start + RAMP_MS;
  const end = rampEnd + seconds() * 1000;
  let ops = 0;
  let inflight = 0;
  let lastAnswer = performance.now();
  return new Promise((resolve, reject) => {
    let failed = false;
    // A request never answered would otherwise hang the benchmark.
    const watchdog = setInterval(() => {
      if (performance.now() - lastAnswer > STALL_MS) fail(new Error(`${what}: no answer for ${STALL_MS / 1000} s (${inflight} in flight)`));
    }, 1000);
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      clearInterval(watchdog);
      reject(e);
    };
    peer.whenBroken(fail);
    const issue = (slot: number): void => {
      inflight++;
      send(slot, (fault) => {
        inflight--;
        lastAnswer = performance.now();
        if (fault !== undefined) return fail(new Error(`${what}: ${fault}`));
        const now = lastAnswer;
        if (now >= rampEnd && now < end) ops++;
        if (now < end) issue(slot);
        else if (inflight === 0 && !failed) {
          clearInterval(watchdog);
          resolve({ mbps: (ops * bytes) / ((end - rampEnd) / 1000) / 1e6, iops: ops / ((end - rampEnd) / 1000) });
        }
      });
    };
    for (let slot = 0; slot < depth; slot++) issue(slot);
  });
}

/** Keeps `depth` requests of pattern `p` in flight through the backend on `k`. */
function drive(k: FakeKernel, p: Pattern, depth: number): Promise<Figure> {
  const blocks = IMAGE_BYTES / p.bs;
  const type = p.write ? 1 : 0;
  const writable = p.write ? 1 : p.bs + 1;
  let cursor = 0;
  const nextOffset = (): number => {
    if (p.random) return Math.floor(Math.random() * blocks) * p.bs;
    const o = cursor;
    cursor = (cursor + p.bs) % IMAGE_BYTES;
    return o;
  };
  // One buffer per slot, reused once the slot's answer is back (the service has read it by then).
  const fill = randomBytes(p.write ? p.bs : 0);
  const slots = Array.from({ length: depth }, () => {
    const b = new Uint8Array(16 + (p.write ? p.bs : 0));
    b.set(fill, 16);
    return b;
  });
  return keepInFlight(k, p.label, depth, p.bs, (slot, done) => {
    header(slots[slot], type, nextOffset());
    k.request(slots[slot], writable, (d) => {
      const status = d.raw[d.written - 1];
      done(d.written !== writable || status !== 0 ? `answer wrote ${d.written} of ${writable} bytes, status ${status}` : undefined);
    });
  });
}

/** xend's backend and frontend nodes for a file: disk (tools/xend/vbd.ts writeNodes), in one transaction. */
async function plug(xs: XsClient, image: string): Promise<void> {
  const be = backendPath('vbd', DOMID, DEVID);
  const fe = frontendPath(DOMID, 'vbd', DEVID);
  const tx = await xs.transactionStart();
  const nodes: [string, string][] = [
    ['frontend', fe], ['frontend-id', String(DOMID)], ['online', '1'], ['state', String(XenbusState.Initialising)],
    ['params', image], ['type', 'file'], ['mode', 'w'], ['dev', 'xvda'], ['device-type', 'disk'], [BACKEND_VIRTIO, '1'],
  ];
  for (const [key, value] of nodes) await xs.write(`${be}/${key}`, value, tx);
  await xs.setPerms(be, [`n${BACKEND_DOMID}`, `r${DOMID}`], tx);
  await xs.write(`${fe}/backend`, be, tx);
  await xs.write(`${fe}/state`, String(XenbusState.Initialising), tx);
  await xs.transactionEnd(tx, true);
}

async function connectedWithin(xs: XsClient, ms: number): Promise<void> {
  const be = backendPath('vbd', DOMID, DEVID);
  const deadline = Date.now() + ms;
  for (;;) {
    const error = await xs.read(`${be}/hotplug-error`).then((b) => b.toString(), () => undefined);
    if (error !== undefined) throw new Error(`the block service refused the disk: ${error}`);
    const state = await xs.read(`${be}/state`).then((b) => Number(b.toString()), () => 0);
    if (state === XenbusState.Connected) return;
    if (Date.now() > deadline) throw new Error(`the disk's backend state is ${state}, not Connected, after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One run of the backend-alone path: fresh store and block service, every pattern at QD 1 and 16. */
async function backendRun(image: string): Promise<Map<string, Figure>> {
  const home = tempDir('domus-bench-blk-');
  mkdirSync(join(home, 'run', 'xenstored'), { recursive: true, mode: 0o700 });
  const kernel = await FakeKernel.listen(join(home, KERNEL_SOCKET));
  const store = spawnNode([STORE_MAIN, '--home', home]);
  let blk: ReturnType<typeof spawnNode> | undefined;
  let xs: XsClient | undefined;
  const storeSocket = join(home, 'run', 'xenstored', 'socket');
  try {
    for (let i = 0; !(await listening(storeSocket)); i++) {
      if (i > 500 || store.child.exitCode !== null) throw new Error(`the store did not start: ${store.stderr()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    blk = spawnNode([BLK_MAIN, '--home', home]);
    const service = blk;
    await within(kernel.hello, 10_000, `backend.hello from the block service (${service.stderr()})`);
    xs = await XsClient.connect(storeSocket);
    await plug(xs, image);
    await within(kernel.attached, 10_000, 'device.attach from the block service');
    await connectedWithin(xs, 10_000);
    await within(checkData(kernel, image), 10_000, 'answers to the data check');
    return await allPatterns(kernel, service.stderr);
  } finally {
    xs?.close();
    if (blk !== undefined) await stopChild(blk.child);
    await stopChild(store.child);
    kernel.close();
    removeDir(home);
  }
}

/** Every pattern at QD 1 and 16 against `peer`, which has said backend.hello on `kernel`. */
async function allPatterns(kernel: FakeKernel, peerStderr: () => string): Promise<Map<string, Figure>> {
  const out = new Map<string, Figure>();
  for (const p of PATTERNS) {
    for (const depth of [1, QD]) {
      const f = await drive(kernel, p, depth).catch((e: Error) => {
        throw new Error(`${e.message}; the peer's stderr ends: ${peerStderr().slice(-400)}`);
      });
      out.set(`${p.key}/${depth}`, f);
    }
  }
  return out;
}

/** The socket path alone: bench/blk-echo.ts (the service's kernel connection, no image) answers at once. */
async function echoRun(): Promise<Map<string, Figure>> {
  const home = tempDir('domus-bench-blk-');
  mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
  const kernel = await FakeKernel.listen(join(home, KERNEL_SOCKET));
  const echo = spawnNode([ECHO_MAIN, home]);
  try {
    await within(kernel.attached, 10_000, `device.attach from ${ECHO_MAIN} (${echo.stderr()})`);
    return await allPatterns(kernel, echo.stderr);
  } finally {
    await stopChild(echo.child);
    kernel.close();
    removeDir(home);
  }
}

// ---- the plain socket: the ceiling of any backend on a Unix socket ----

/**
 * The kernel's end of a plain Unix socket: it sends `inBytes` for each request and counts one
 * answered when `outBytes` more have come back from bench/blk-plain.ts. No framing, no header,
 * nothing but the bytes; they are only counted, from Node's own reads ('data'), as a listening
 * socket's connections get them (the kernel's, kernel-server.ts).
 */
class PlainSocket extends OneConnection {
  /** Callbacks of the requests sent and not yet answered, oldest first. */
  private readonly waiting: (() => void)[] = [];
  /** Bytes come back towards the next answer. */
  private partial = 0;
  readonly connected: Promise<void>;
  private connectedSeen!: () => void;

  private constructor(server: Server, private readonly outBytes: number) {
    super(server, PLAIN_MAIN);
    this.connected = new Promise((r) => (this.connectedSeen = r));
  }

  protected accepted(s: Socket): void {
    s.on('data', (chunk: Buffer) => {
      this.partial += chunk.length;
      for (; this.partial >= this.outBytes; this.partial -= this.outBytes) this.waiting.shift()!();
    });
    this.connectedSeen();
  }

  static async listen(path: string, outBytes: number): Promise<PlainSocket> {
    return new PlainSocket(await listenOn(path), outBytes);
  }

  send(buf: Uint8Array, done: () => void): void {
    this.waiting.push(done);
    // Requests sent in one turn leave together, as the kernel's and the services' writes do.
    writeBatched(this.socket!, buf);
  }
}

/**
 * The plain socket at QD 1 and 16, both ways: a write's 64 KiB go from this process to
 * bench/blk-plain.ts, which answers with one byte; a read is one byte that blk-plain.ts answers
 * with 64 KiB. This process listens, as the kernel does; blk-plain.ts connects, as a service does.
 */
async function plainRun(): Promise<Map<string, Figure>> {
  const out = new Map<string, Figure>();
  for (const p of PATTERNS.filter((x) => !x.random)) {
    const [inBytes, outBytes] = p.write ? [p.bs, 1] : [1, p.bs];
    const dir = tempDir('domus-bench-blk-');
    const path = join(dir, 'plain.sock');
    const plain = await PlainSocket.listen(path, outBytes);
    const peer = spawnNode([PLAIN_MAIN, path, String(inBytes), String(outBytes)]);
    try {
      await within(plain.connected, 10_000, `a connection from ${PLAIN_MAIN} (${peer.stderr()})`);
      const buf = randomBytes(inBytes);
      for (const depth of [1, QD]) {
        out.set(`${p.key}/${depth}`, await keepInFlight(plain, `plain socket, ${p.label}`, depth, p.bs, (_, done) => plain.send(buf, done)));
      }
    } finally {
      plain.close();
      await stopChild(peer.child);
      removeDir(dir);
    }
  }
  return out;
}

// ---- inside a guest: U-Boot on a real host ----

/** A guest's console through `xm create -c`, on pipes. */
class Console {
  private text = '';
  private wake: (() => void) | undefined;
  private constructor(readonly child: ChildProcess) {
    child.stdin!.on('error', () => {});
    const onText = (s: string): void => {
      this.text += s;
      this.wake?.();
    };
    child.stdout!.setEncoding('latin1').on('data', onText);
    child.stderr!.setEncoding('latin1').on('data', onText);
    child.on('exit', () => this.wake?.());
  }

  static xm(home: string, args: string[]): Console {
    const child = spawn(process.execPath, [XM_CLI, '--home', home, ...args], { stdio: 'pipe' });
    liveChildren.add(child);
    child.on('exit', () => liveChildren.delete(child));
    return new Console(child);
  }

  /** Resolves with performance.now() when `pattern` appears after the previous match, and the text up to it. */
  async waitFor(pattern: RegExp | string, ms: number): Promise<{ at: number; seen: string }> {
    const deadline = performance.now() + ms;
    for (;;) {
      const rest = this.text;
      const m = typeof pattern === 'string' ? (rest.includes(pattern) ? { i: rest.indexOf(pattern), n: pattern.length } : undefined)
        : ((r) => (r ? { i: r.index, n: r[0].length } : undefined))(pattern.exec(rest));
      if (m !== undefined) {
        const at = performance.now();
        const seen = rest.slice(0, m.i + m.n);
        // Drop what matched: a random-I/O loop prints 160 KB.
        this.text = rest.slice(m.i + m.n);
        return { at, seen };
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.child.exitCode !== null) throw new Error(`no ${String(pattern)} on the guest's console; it ends: ${this.text.slice(-600)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  type(s: string): void {
    this.child.stdin!.write(s);
  }

  /** Types `line` and times it to the next prompt. */
  async run(line: string, ms = 300_000): Promise<{ ms: number; seen: string }> {
    this.text = ''; // forget anything printed before
    const t = performance.now();
    this.type(`${line}\r`);
    const { at, seen } = await this.waitFor(/\n=> /, ms);
    return { ms: at - t, seen };
  }
}

/** The hush loops the guest runs (every number hex, as U-Boot reads them). */
function guestLoop(p: Pattern, seed: number, io: boolean): { line: string; ops: number } {
  const cmd = p.write ? 'write' : 'read';
  if (!p.random) {
    const blocks = p.bs / SECTOR;
    const ops = GUEST_SEQ_BYTES / p.bs;
    const body = io ? `virtio ${cmd} ${LOAD_ADDR} $i ${blocks.toString(16)}; ` : '';
    return { line: `setexpr i 0; while itest $i < ${(GUEST_SEQ_BYTES / SECTOR).toString(16)}; do ${body}setexpr i $i + ${blocks.toString(16)}; done`, ops };
  }
  // Knuth's MMIX LCG modulo 2^64; bits 3..18 pick a 4 KiB-aligned sector below 256 MiB ('&' quoted:
  // a bare & ends a hush command).
  const mask = (IMAGE_BYTES / SECTOR - p.bs / SECTOR).toString(16);
  const body = io ? `virtio ${cmd} ${LOAD_ADDR} $b ${(p.bs / SECTOR).toString(16)}; ` : '';
  return {
    line: `setexpr r ${(seed + 1).toString(16)}; setexpr n 0; while itest $n < ${GUEST_RAND_OPS.toString(16)}; do setexpr r $r * 5851f42d4c957f2d; ` +
      `setexpr r $r + 14057b7ef767814f; setexpr b $r '&' ${mask}; ${body}setexpr n $n + 1; done`,
    ops: GUEST_RAND_OPS,
  };
}

class GuestSession {
  private constructor(private readonly host: DomusHost, private readonly console: Console) {}

  static async start(image: string): Promise<GuestSession> {
    const host = await DomusHost.up();
    let c: Console | undefined;
    try {
      const cfg = join(host.home, `${GUEST}.cfg`);
      writeFileSync(cfg, `name = '${GUEST}'\nbuilder = 'hvm'\nmemory = 128\nbios = '${UBOOT_MMODE}'\ndisk = [ 'file:${image},xvda,w' ]\n`);
      c = Console.xm(host.home, ['create', '-c', cfg]);
      await c.waitFor('Hit any key to stop autoboot', 60_000);
      c.type('\r');
      await c.waitFor(/\n=> /, 30_000);
      await c.run('virtio scan', 30_000);
      const info = await c.run('virtio info', 30_000);
      if (!info.seen.includes(`(${IMAGE_BYTES / SECTOR} x ${SECTOR})`)) throw new Error(`U-Boot does not see the 256 MiB disk: ${info.seen}`);
      const s = new GuestSession(host, c);
      await s.xm('pause', GUEST);
      return s;
    } catch (e) {
      c?.child.kill('SIGKILL');
      await host.down();
      throw e;
    }
  }

  private async xm(...args: string[]): Promise<void> {
    await execFileP(process.execPath, [XM_CLI, '--home', this.host.home, ...args]);
  }

  /** Every pattern once (and each loop without I/O); the domain runs only meanwhile. */
  async measure(run: number): Promise<{ raw: Map<string, Figure>; net: Map<string, Figure>; loopShare: Map<string, number> }> {
    const raw = new Map<string, Figure>();
    const net = new Map<string, Figure>();
    const loopShare = new Map<string, number>();
    await this.xm('unpause', GUEST);
    try {
      for (const p of PATTERNS) {
        const withIo = guestLoop(p, run, true);
        const timed = await this.console.run(withIo.line);
        const done = timed.seen.split(`blocks ${p.write ? 'written' : 'read'}: OK`).length - 1;
        if (done !== withIo.ops) throw new Error(`${p.label} in U-Boot: ${done} of ${withIo.ops} commands said OK; console: ${timed.seen.slice(-400)}`);
        const loop = await this.console.run(guestLoop(p, run, false).line);
        const bytes = withIo.ops * p.bs;
        raw.set(p.key, { mbps: bytes / (timed.ms / 1000) / 1e6, iops: withIo.ops / (timed.ms / 1000) });
        const ioMs = Math.max(timed.ms - loop.ms, 1e-3);
        net.set(p.key, { mbps: bytes / (ioMs / 1000) / 1e6, iops: withIo.ops / (ioMs / 1000) });
        loopShare.set(p.key, loop.ms / timed.ms);
        progress(`    guest ${p.label}: ${timed.ms.toFixed(0)} ms for ${withIo.ops} commands, the loop alone ${loop.ms.toFixed(0)} ms`);
      }
    } finally {
      await this.xm('pause', GUEST);
    }
    return { raw, net, loopShare };
  }

  async stop(): Promise<void> {
    try {
      await this.xm('destroy', GUEST);
    } catch {
      // domus down takes it anyway.
    }
    this.console.child.kill('SIGKILL');
    await this.host.down();
  }
}

// ---- the runs, the table ----

interface Results {
  readonly samples: Map<string, Figure[]>;
  readonly errors: Map<PathKey, string>;
  readonly skipped: Map<PathKey, string>;
  readonly loopShare: Map<string, number[]>;
  readonly runs: number;
}

const sampleKey = (path: PathKey, p: Pattern): string => `${path}/${p.key}`;

async function runAll(): Promise<Results> {
  const runs = benchRuns();
  const samples = new Map<string, Figure[]>();
  const errors = new Map<PathKey, string>();
  const loopShare = new Map<string, number[]>();
  const skipped = new Map<PathKey, string>();
  const add = (path: PathKey, p: Pattern, f: Figure): void => {
    const k = sampleKey(path, p);
    samples.set(k, [...(samples.get(k) ?? []), f]);
  };
  const fail = (paths: PathKey[], e: unknown): void => {
    const msg = e instanceof Error ? e.message : String(e);
    for (const path of paths) errors.set(path, msg);
    progress(`  FAILED (${paths.join(', ')}): ${msg}`);
  };

  const dir = tempDir('domus-bench-blk-img-');
  let guest: GuestSession | undefined;
  try {
    progress(`  image: ${IMAGE_BYTES / MiB} MiB of random bytes in ${dir} (page cache left warm for every path)`);
    const image = makeImage(dir);
    if (!existsSync(FIO)) fail(['fio1', 'fio16'], new Error(`${FIO} not installed (Debian package fio)`));
    if (selected('guest')) {
      try {
        guest = await GuestSession.start(image);
      } catch (e) {
        fail(['guest', 'guestNet'], e);
      }
    }

    /** Figures by `${pattern}/${depth}` for two paths (QD 1 and QD 16), into the samples. */
    const record = (got: Map<string, Figure>, paths: readonly PathKey[]): void => {
      for (const p of PATTERNS) {
        for (const path of paths) {
          const { label, depth } = PATHS[path];
          const f = got.get(`${p.key}/${depth}`);
          if (f === undefined) continue; // a path measured for some patterns only
          add(path, p, f);
          progress(`    ${label} QD${depth} ${p.label}: ${f.mbps.toFixed(0)} MB/s, ${f.iops.toFixed(0)} IOPS`);
        }
      }
    };
    const phases: { name: string; key: string; paths: PathKey[]; run: (i: number) => Promise<void> }[] = [
      { name: 'fio', key: 'fio', paths: ['fio1', 'fio16'], run: async () => record(await fioRun(image), ['fio1', 'fio16']) },
      { name: 'plain socket', key: 'plain', paths: ['plain1', 'plain16'], run: async () => record(await plainRun(), ['plain1', 'plain16']) },
      { name: 'socket path alone', key: 'echo', paths: ['echo1', 'echo16'], run: async () => record(await echoRun(), ['echo1', 'echo16']) },
      { name: 'backend alone', key: 'backend', paths: ['backend1', 'backend16'], run: async () => record(await backendRun(image), ['backend1', 'backend16']) },
      {
        name: 'inside a guest',
        key: 'guest',
        paths: ['guest', 'guestNet'],
        run: async (i) => {
          const got = await guest!.measure(i);
          for (const p of PATTERNS) {
            add('guest', p, got.raw.get(p.key)!);
            add('guestNet', p, got.net.get(p.key)!);
            loopShare.set(p.key, [...(loopShare.get(p.key) ?? []), got.loopShare.get(p.key)!]);
          }
        },
      },
    ];

    for (const ph of phases) {
      if (!selected(ph.key)) for (const p of ph.paths) skipped.set(p, 'not selected (BENCH_BLK_PATHS)');
    }
    for (let i = 0; i < runs; i++) {
      // Interleaved, the order turned around every other run, so drifts in load hit all alike.
      const order = i % 2 === 0 ? phases : [...phases].reverse();
      for (const ph of order) {
        if (ph.paths.some((p) => errors.has(p) || skipped.has(p))) continue;
        progress(`  blk [${ph.name} ${i + 1}/${runs}]`);
        try {
          await ph.run(i);
        } catch (e) {
          fail(ph.paths, e);
        }
      }
    }
  } finally {
    await guest?.stop();
    removeDir(dir);
  }
  return { samples, errors, skipped, loopShare, runs };
}

function stat(xs: number[]): { median: number; min: number; max: number; n: number } {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

function side(r: Results, path: PathKey, p: Pattern, figure: keyof Figure): SideResult {
  const skip = r.skipped.get(path);
  if (skip !== undefined) return { kind: 'skipped', reason: skip };
  const err = r.errors.get(path);
  if (err !== undefined) return { kind: 'error', message: err };
  const xs = r.samples.get(sampleKey(path, p));
  if (xs === undefined || xs.length === 0) return { kind: 'error', message: 'no samples' };
  return { kind: 'ok', stats: stat(xs.map((f) => f[figure])) };
}

const med = (s: SideResult): number | undefined => (s.kind === 'ok' ? s.stats.median : undefined);

/** A ratio with two decimals, or two significant digits when smaller than 0.1 (0.0041×). */
function times(x: number): string {
  return `${x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}×`;
}

/** Whole numbers, except below 10 (as run.ts prints them). */
function num(x: number): string {
  return x.toFixed(x >= 10 ? 0 : x >= 1 ? 1 : 2);
}

function fmt(s: SideResult): string {
  if (s.kind === 'ok') return `${num(s.stats.median)} (${num(s.stats.min)}–${num(s.stats.max)})`;
  if (s.kind === 'skipped') return `— (${s.reason})`;
  return `FAILED: ${s.message.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 160)}`;
}

/** The share of fio's sequential throughput the backend reaches: the issue's goal is 70 %. */
function goal(r: Results): string {
  const parts: string[] = [];
  let met = true;
  let known = true;
  for (const p of PATTERNS.filter((x) => !x.random)) {
    for (const [path, peer] of [['backend16', 'fio16'], ['backend1', 'fio1']] as const) {
      const a = med(side(r, path, p, 'mbps'));
      const b = med(side(r, peer, p, 'mbps'));
      if (a === undefined || b === undefined) {
        known = false;
        continue;
      }
      const share = a / b;
      if (path === 'backend16' && share < 0.7) met = false;
      parts.push(`${p.label} at QD${PATHS[path].depth}: ${(share * 100).toFixed(0)} % of ${PATHS[peer].label}`);
    }
  }
  // What any backend could reach at most: a plain socket, and this protocol without an image.
  for (const [path, what] of [['plain16', 'a plain Unix socket, one way, no framing'], ['echo16', 'the socket path alone, no image']] as const) {
    for (const p of PATTERNS.filter((x) => !x.random)) {
      const a = med(side(r, path, p, 'mbps'));
      const b = med(side(r, 'fio16', p, 'mbps'));
      if (a !== undefined && b !== undefined) parts.push(`(${what}, ${p.label} at QD16: ${(100 * a / b).toFixed(0)} %)`);
    }
  }
  const verdict = !known ? 'not known (fio or the backend path failed or was not run)' : met ? '**met**' : '**not met**';
  const detail = parts.length > 0 ? ` ${parts.join('; ')}.` : '';
  return `Goal: the backend path at least 70 % of fio's sequential throughput at the same queue depth (16): ${verdict}.${detail}`;
}

function fullTable(r: Results): string {
  const lines = [
    '| pattern | path | queue depth | MB/s, median (min–max) | IOPS, median (min–max) | × fio (same depth) |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const p of PATTERNS) {
    for (const [key, info] of Object.entries(PATHS) as [PathKey, PathInfo][]) {
      if (info.sequentialOnly === true && p.random) continue;
      const mb = side(r, key, p, 'mbps');
      const io = side(r, key, p, 'iops');
      let ratio = '—';
      if (info.peer !== undefined) {
        const a = med(mb);
        const b = med(side(r, info.peer, p, 'mbps'));
        if (a !== undefined && b !== undefined) ratio = `${times(a / b)} ${PATHS[info.peer].label}`;
      }
      let label = info.label;
      const share = r.loopShare.get(p.key);
      if (key === 'guest' && share !== undefined) label += ` (shell loop alone: ${(median(share) * 100).toFixed(0)} % of the time)`;
      lines.push(`| ${p.label} | ${label} | ${info.depth} | ${fmt(mb)} | ${io.kind === 'ok' ? fmt(io) : '—'} | ${ratio} |`);
    }
  }
  return lines.join('\n');
}


function machine(): string {
  const fs = firstLine('findmnt', ['-n', '-o', 'FSTYPE', '-T', tmpdir()]);
  return machineLine(firstLine(FIO, ['--version']), `Linux ${firstLine('uname', ['-r'])}`, `image in ${tmpdir()} (${fs})`);
}

function notes(r: Results): string[] {
  const s = seconds();
  return [
    `- Image: one ${IMAGE_BYTES / MiB} MiB raw file in a temporary directory, pre-filled with random bytes; nothing is dropped ` +
      'from the page cache, so the page cache is warm for all paths alike (reads come from memory, writes go into it; nobody flushes).',
    `- fio: \`${FIO}\`, \`--output-format=json\`, one job, buffered; psync at queue depth 1 and io_uring at 16 (io_uring, not libaio: ` +
      `on buffered files libaio submits synchronously). ${s} s after a ${RAMP_MS} ms ramp.`,
    '- backend alone: the block service process and the store process; the benchmark stands in for the kernel on ' +
      `\`run/kernel.sock\` and keeps 1 or ${QD} virtio requests in flight for ${s} s after a ${RAMP_MS} ms ramp. ` +
      'No guest and no kernel: this is the service, its image code and the socket path.',
    '- plain Unix socket: `dist/bench/blk-plain.js` connects to a Unix socket this process listens on (as a service connects to ' +
      'the kernel); no framing, only bytes: a write is 64 KiB from here (kernel to service) answered with one byte, a read is ' +
      `one byte answered with 64 KiB (service to kernel); 1 or ${QD} in flight. This process takes the bytes as the kernel ` +
      "does, from Node's own reads of at most 64 KiB ('data' events); blk-plain.js reads as the services do, with `onread` " +
      '(here into one buffer it reuses). Both only count the bytes: the ceiling for any backend whose data crosses this socket.',
    '- socket path alone: `dist/bench/blk-echo.js`, the block service\'s own kernel connection (`services/common/kernel-port.ts`) ' +
      'answering every request at once without an image (reads get zeros): the ceiling for any backend on this socket and framing.',
    '- inside a guest: `domus up`, an HVM domain with M-mode U-Boot and `disk = [\'file:IMAGE,xvda,w\']`, timed from typing a ' +
      `hush \`while\` loop at the prompt to the prompt coming back: ${GUEST_SEQ_BYTES / MiB} MiB in 64 KiB \`virtio read/write\` commands, ` +
      `or ${GUEST_RAND_OPS} 4 KiB commands at places from a setexpr LCG. U-Boot keeps one request in flight. ` +
      '"loop cost subtracted" takes off the time of the same loop without the virtio command.',
    `- ${r.runs} run${r.runs === 1 ? '' : 's'} per path, interleaved (order reversed every other run); MB/s = 10^6 bytes/s.`,
  ];
}

function benchCommand(): string {
  const env = process.env.BENCH_RUNS ? `BENCH_RUNS=${process.env.BENCH_RUNS} ` : '';
  const secs = ['BENCH_BLK_SECONDS', 'BENCH_BLK_PATHS'].map((k) => (process.env[k] ? `${k}=${process.env[k]} ` : '')).join('');
  const argv = process.argv.slice(2).join(' ');
  const viaRun = basename(process.argv[1] ?? '') === 'run.js';
  const cmd = !viaRun ? `node dist/bench/blk.js ${argv}` : process.env.npm_lifecycle_event === 'bench' ? `npm run bench -- ${argv}` : `node dist/bench/run.js ${argv}`;
  return `${env}${secs}${cmd.trim()}`;
}

const START = '<!-- bench:blk:start -->';
const END = '<!-- bench:blk:end -->';

function section(r: Results): string {
  return [
    START,
    '## Block service: disk throughput against fio',
    '',
    `- Command: \`${benchCommand()}\``,
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machine()}`,
    ...notes(r),
    '',
    fullTable(r),
    '',
    goal(r),
    END,
  ].join('\n');
}

function writeSection(text: string): void {
  const file = join(ROOT, 'BENCHMARKS.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const a = old.indexOf(START);
  const b = old.indexOf(END);
  const next = a >= 0 && b > a ? old.slice(0, a) + text + old.slice(b + END.length) : `${old.trimEnd()}\n\n${text}\n`;
  writeFileSync(file, next);
  progress(`wrote the blk section of ${file}`);
}

/** Rows for run.ts's common table (peer = fio at the same queue depth; figures in MB/s). */
function rows(r: Results): Row[] {
  const out: Row[] = [];
  for (const p of PATTERNS) {
    for (const key of ['backend16', 'backend1', 'guest'] as const) {
      const info = PATHS[key];
      const peer = info.peer!;
      const a = side(r, key, p, 'iops');
      const b = side(r, peer, p, 'iops');
      const iops = a.kind === 'ok' && b.kind === 'ok' ? `IOPS ${num(a.stats.median)} vs fio ${num(b.stats.median)}` : undefined;
      const where = key === 'guest' ? 'inside a U-Boot guest' : 'backend alone';
      out.push({
        benchmark: `blk: ${p.label}, ${where}, QD${info.depth} (peer: ${PATHS[peer].label} QD${PATHS[peer].depth}; ratio = share of fio)`,
        qemu: side(r, peer, p, 'mbps'),
        domus: side(r, key, p, 'mbps'),
        unit: 'MB/s',
        note: iops,
      });
    }
  }
  return out;
}

export async function blkBench(): Promise<Row[]> {
  const r = await runAll();
  const text = section(r);
  process.stderr.write(`\n${text}\n\n`);
  if (process.argv.includes('--write')) writeSection(text);
  return rows(r);
}

// Run on its own: `node dist/bench/blk.js [--write]`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runAll();
  const text = section(r);
  process.stdout.write(`${text}\n`);
  if (process.argv.includes('--write')) writeSection(text);
  process.exitCode = r.errors.size > 0 ? 1 : 0;
}

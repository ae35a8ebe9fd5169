// net: guest-to-guest network throughput and packet rate through the network service's bridge,
// against a plain socket relay between two processes.
//
// Domus: one host (`domus up` on a temporary DOMUS_HOME) for all runs. Each run creates two
// paravirtual minios domains with `xm create` (builder 'linux', 16 MiB, vif = ['bridge=br0']):
// A, `mode=net ip=10.0.0.1`, a sink (UDP to port 9 is dropped by it), and B, `mode=net
// ip=10.0.0.2 flood=10.0.0.1:9 size=N duration=D`, which keeps its netif tx ring full of UDP
// datagrams to A (guests/minios/README.md, "The flood"). From B's `minios: flood 10.0.0.1 is at`
// line the run waits WARMUP_MS, then reads the network service's port counters (its control
// socket, as `domus net ports --json` does) at the start and the end of WINDOW_MS: the tx counters
// of vif<A>.0 are the frames the bridge delivered into A's rx ring, the figure reported. Then it
// waits for B's `minios: flood done` line and destroys both domains.
//
// The peer (bench/net-relay.ts): three node processes on Unix stream sockets with QEMU's stream
// framing (4-byte big-endian length, then the frame): a source writing the same frames as fast as
// the socket takes them, a relay reading frames and writing each to a second socket, and a sink
// counting them over the same window after the same warm-up (timed by the sink's own clock).
//
// Two flows: UDP payload 1472 bytes (1514-byte frames), reported in MB/s (10^6 bytes of frames),
// and payload 18 bytes (60-byte frames, Ethernet's minimum), reported in packets per second.
// The note of each row tells what B put on the bridge meanwhile (vif<B>.0 rx), what the bridge
// could not hand to A (vif<A>.0 tx-dropped: no free page on A's rx ring), and minios's own count.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetPort } from '../kernel/public/net-protocol.js';
import { KernelClient } from '../tools/kernel-client.js';
import { NetClient } from '../tools/net/net-client.js';
import { compareRows, DomusHost, median, ROOT, startProcess, timeProcess, within, type Command, type Row, type Running, type Sample } from './harness.js';

const MINIOS = join(ROOT, 'guests', 'minios', 'minios.elf');
const RELAY = join(ROOT, 'dist', 'bench', 'net-relay.js');
const WARMUP_MS = 1000;
const WINDOW_MS = 5000;
/** The flood goes on this long after the window, so the counters' last read falls inside it. */
const TAIL_MS = 1500;
const HEADERS = 42; // Ethernet 14, IPv4 20, UDP 8

interface Flow {
  /** UDP payload bytes (minios's size=). */
  payload: number;
  label: string;
  unit: string;
  /** The figure from frames and their bytes over `ms`. */
  figure: (frames: number, bytes: number, ms: number) => number;
}

const FLOWS: Flow[] = [
  {
    payload: 1472,
    label: 'net: guest-to-guest throughput, minios → minios over br0, 1514-byte frames (peer: source → relay → sink processes, Unix sockets, stream framing)',
    unit: 'MB/s',
    figure: (_frames, bytes, ms) => bytes / 1e6 / (ms / 1000),
  },
  {
    payload: 18,
    label: 'net: guest-to-guest packet rate, minios → minios over br0, 60-byte frames (peer: the same relay)',
    unit: 'packets/s',
    figure: (frames, _bytes, ms) => frames / (ms / 1000),
  },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const relayCommand = (...args: string[]): Command => ({ cmd: process.execPath, args: [RELAY, ...args] });

/** What a Domus run saw besides the delivered figure, for the row's note (per second). */
interface DomusExtra {
  /** Frames B put on the bridge (vif<B>.0 rx). */
  sentPps: number;
  /** Frames for A the bridge could not hand over (vif<A>.0 tx-dropped). */
  droppedPps: number;
  /** Datagrams minios put on its tx ring, from its `flood done` line (the whole flood). */
  floodPps: number;
}

// ---- Domus ----------------------------------------------------------------------------------

/** `xm create FILE` on the host; returns the new domain's id. */
async function create(host: DomusHost, name: string, extra: string): Promise<number> {
  const cfg = join(host.home, `${name}.cfg`);
  writeFileSync(cfg, [
    `name = '${name}'`, "builder = 'linux'", `kernel = '${MINIOS}'`, 'memory = 16',
    "vif = [ 'bridge=br0' ]", `extra = 'mode=net name=${name} ${extra}'`, '',
  ].join('\n'));
  const r = await timeProcess(host.xm(['create', cfg]));
  const id = /Started domain \S+ \(id=(\d+)\)/.exec(r.output)?.[1];
  if (r.exitCode !== 0 || id === undefined) throw new Error(`xm create ${name} exited ${r.exitCode}: ${r.output.trim()}`);
  return Number(id);
}

/** Polls the domain's console (its last 64 KiB) until `pattern` shows; a FAILED line ends the wait. */
async function consoleWait(kernel: KernelClient, domid: number, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  const poll = async (): Promise<RegExpExecArray> => {
    for (;;) {
      const text = Buffer.from(await kernel.consoleTail(domid)).toString('latin1');
      const m = pattern.exec(text);
      if (m) return m;
      const failed = /minios: (net FAILED|fatal trap).*/.exec(text);
      if (failed) throw new Error(`domain ${domid}: ${failed[0].trim()}`);
      await sleep(100);
    }
  };
  return within(poll(), ms, `${pattern.source} on domain ${domid}'s console`);
}

interface Snapshot {
  at: number;
  a: NetPort;
  b: NetPort;
}

async function counters(net: NetClient, a: number, b: number): Promise<Snapshot> {
  const t0 = performance.now();
  const ports = await net.ports();
  const at = (t0 + performance.now()) / 2;
  const find = (domid: number): NetPort => {
    const p = ports.find((x) => x.name === `vif${domid}.0`);
    if (p === undefined) throw new Error(`no port vif${domid}.0 in the network service's ports`);
    return p;
  };
  return { at, a: find(a), b: find(b) };
}

let runNumber = 0;

async function domusRun(host: DomusHost, flow: Flow, extras: DomusExtra[]): Promise<Sample> {
  const n = ++runNumber;
  const kernel = await KernelClient.connect(host.home);
  let net: NetClient | undefined;
  const created: string[] = [];
  try {
    net = await NetClient.connect(host.home);
    const a = await create(host, `netsink${n}`, 'ip=10.0.0.1');
    created.push(`netsink${n}`);
    await consoleWait(kernel, a, /minios: net up 10\.0\.0\.1 /, 30_000);
    const b = await create(host, `netflood${n}`, `ip=10.0.0.2 flood=10.0.0.1:9 size=${flow.payload} duration=${WARMUP_MS + WINDOW_MS + TAIL_MS}`);
    created.push(`netflood${n}`);
    await consoleWait(kernel, b, /minios: flood 10\.0\.0\.1 is at /, 30_000);
    await sleep(WARMUP_MS);
    const s0 = await counters(net, a, b);
    await sleep(WINDOW_MS);
    const s1 = await counters(net, a, b);
    const done = await consoleWait(kernel, b, /minios: flood done (\d+) datagrams \d+ bytes in (\d+) ms/, TAIL_MS + 30_000);
    const ms = s1.at - s0.at;
    const perSecond = (x: number): number => x / (ms / 1000);
    extras.push({
      sentPps: perSecond(s1.b.rxPackets - s0.b.rxPackets),
      droppedPps: perSecond(s1.a.txDropped - s0.a.txDropped),
      floodPps: Number(done[1]) / (Number(done[2]) / 1000),
    });
    return { ms: flow.figure(s1.a.txPackets - s0.a.txPackets, s1.a.txBytes - s0.a.txBytes, ms) };
  } finally {
    kernel.close();
    net?.close();
    for (const name of created.reverse()) {
      const r = await timeProcess(host.xm(['destroy', name]));
      if (r.exitCode !== 0) process.stderr.write(`  net: xm destroy ${name} exited ${r.exitCode}: ${r.output.trim()}\n`);
    }
  }
}

// ---- The peer: source → relay → sink ---------------------------------------------------------

async function peerRun(flow: Flow): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'domus-netrelay-'));
  const inPath = join(dir, 'in.sock');
  const outPath = join(dir, 'out.sock');
  let relay: Running | undefined;
  let source: Running | undefined;
  let sink: Promise<unknown> | undefined;
  try {
    relay = await startProcess(relayCommand('relay', inPath, outPath), (out) => out.includes('relay: listening'));
    // The relay holds the source back until the sink is connected; the sink times itself.
    const counted = timeProcess(relayCommand('sink', outPath, String(WARMUP_MS), String(WINDOW_MS)));
    sink = counted.catch(() => {});
    source = await startProcess(relayCommand('source', inPath, String(flow.payload + HEADERS)), (out) => out.includes('source: connected'));
    const r = await counted;
    const line = r.output.trim().split('\n').pop() ?? '';
    if (r.exitCode !== 0 || !line.startsWith('{')) throw new Error(`the sink exited ${r.exitCode}: ${r.output.trim()}`);
    const { frames, bytes, ms } = JSON.parse(line) as { frames: number; bytes: number; ms: number };
    return { ms: flow.figure(frames, bytes, ms) };
  } finally {
    await source?.stop();
    await relay?.stop(); // the sink, if still there, sees the relay go and exits
    await sink;
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Rows -------------------------------------------------------------------------------------

function note(flow: Flow, extras: DomusExtra[]): string | undefined {
  if (extras.length === 0) return undefined;
  const m = (k: keyof DomusExtra): string => median(extras.map((e) => e[k])).toFixed(0);
  return `Domus, medians: B put ${m('sentPps')} frames/s on br0 (vif rx), ${m('droppedPps')}/s of them dropped for A (no free rx-ring page); ` +
    `minios counted ${m('floodPps')} datagrams/s on its tx ring (whole flood); ${flow.payload + HEADERS}-byte frames, ` +
    `${WINDOW_MS / 1000} s window after ${WARMUP_MS / 1000} s warm-up`;
}

export async function netBench(): Promise<Row[]> {
  let host: DomusHost | undefined;
  try {
    const rows: Row[] = [];
    for (const flow of FLOWS) {
      const peer = relayCommand('source', '…', String(flow.payload + HEADERS));
      const domus: Command = { cmd: 'xm', args: ['create', `flood size=${flow.payload}`] };
      const extras: DomusExtra[] = [];
      const [row] = await compareRows({
        benchmark: flow.label,
        qemu: peer,
        domus,
        unit: flow.unit,
        measure: async (command) => (command === peer ? peerRun(flow) : domusRun((host ??= await DomusHost.up()), flow, extras)),
      });
      row.note = note(flow, extras);
      rows.push(row);
    }
    return rows;
  } finally {
    await host?.down();
  }
}

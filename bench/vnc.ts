// vnc: the framebuffer service's RFB server (services/vnc) at 1024x768: full-screen update rate
// to a client on loopback, and key-to-screen latency through a guest.
//
// Update rate. Two node processes (bench/vnc-peer.ts): a server, a 1024x768 Screen served by
// RfbServer through VncListener on 127.0.0.1 as the service serves a domain's screen, whose
// whole content changes on every pointer event a client sends ("flat": one new colour for all of
// it; "noise": the next of 4 frames of random pixels, made beforehand, which defeats compression);
// and a client that asks for one encoding, then in a loop sends a pointer event and an
// incremental FramebufferUpdateRequest and reads the whole update (parsed to its end; ZRLE's data
// is not inflated), counting the updates that complete over WINDOW_MS after WARMUP_MS. One server
// and one client per encoding and pattern: Raw, Hextile, ZRLE. The peer: two node processes on a
// plain TCP socket on loopback, one sending 10 bytes (a request's size), the other answering
// with a Raw full-screen update's bytes (1024*768*4 + 16), the same request/reply loop and count.
//
// Key-to-screen latency. Domus: one host (`domus up` on a temporary DOMUS_HOME); each run, for
// Raw and then for ZRLE, creates a minios domain with a 1024x768 PV framebuffer and keyboard
// (`mode=screen`, guests/minios/README.md "The screen"), reads its VNC port from the store
// (backend node vnc-port), connects a client asking for that encoding and keeps an incremental
// update request outstanding (the next one is sent as each update is read). Then WARMUP_KEYS +
// KEYS times: GAP_MS of quiet, press and release 'a' (one write), and time until an update arrives
// that shows the character in the cell it is echoed in (row 3, from column 2: x = 8 + 8 * col,
// y = 40 + 16 * row, 8x16): with Raw, a rectangle covering the cell with a white pixel in it; with
// ZRLE (not inflated), a rectangle covering the cell. The figure is the run's median over KEYS
// keys; the domain is destroyed. The peer: the same, against an RfbServer in this process whose
// key callback fills the next cell white itself (no guest, no kernel, no second process).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { XsClient } from '../services/store/client.js';
import { RfbServer } from '../services/vnc/rfb-server.js';
import { Screen } from '../services/vnc/screen.js';
import { VncListener } from '../services/vnc/websocket.js';
import { KernelClient } from '../tools/kernel-client.js';
import { storeSocketOf } from '../tools/xend/store-session.js';
import { compareRows, DomusHost, median, ROOT, startProcess, timeProcess, within, type Command, type Row, type Running, type Sample } from './harness.js';
import { FRAME_BYTES, HEIGHT, HEXTILE, RAW, RfbClient, WIDTH, ZRLE, type Update } from './vnc-peer.js';

const PEER = join(ROOT, 'dist', 'bench', 'vnc-peer.js');
const MINIOS = join(ROOT, 'guests', 'minios', 'minios.elf');
const WARMUP_MS = 500;
const WINDOW_MS = 3000;
/** Keys per domain (minios wraps its input line and clears rows as it goes; any count works). */
const KEYS = 50;
const WARMUP_KEYS = 2;
const GAP_MS = 30;
const XK_A = 0x61;
const KEY_ROW = 3;
const FIRST_COL = 2;
const BACKGROUND = 0x203040;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const peerCommand = (...args: string[]): Command => ({ cmd: process.execPath, args: [PEER, ...args] });

// ---- Update rate --------------------------------------------------------------------------------

interface Variant {
  key: string;
  encoding: number;
  pattern: 'flat' | 'noise';
  label: string;
}

const ENCODING_NAMES: Record<number, string> = { [RAW]: 'Raw', [HEXTILE]: 'Hextile', [ZRLE]: 'ZRLE' };
const PATTERNS = { flat: 'whole screen one new colour each update', noise: 'whole screen new random pixels each update' };

const VARIANTS: Variant[] = [RAW, HEXTILE, ZRLE].flatMap((encoding) => (['flat', 'noise'] as const).map((pattern) => ({
  key: `${ENCODING_NAMES[encoding]}-${pattern}`,
  encoding,
  pattern,
  label: `vnc: full-screen updates/s at 1024x768 to a client on loopback, ${ENCODING_NAMES[encoding]}, ${PATTERNS[pattern]} ` +
    `(RfbServer; peer: plain TCP socket between two processes, ${FRAME_BYTES} bytes per request, a Raw update's size)`,
})));

interface Counted {
  frames: number;
  ms: number;
  bytes: number;
  partial: number;
}

function parseCount(output: string, what: string): Counted {
  const line = output.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`${what} printed no result: ${output.trim()}`);
  return JSON.parse(line) as Counted;
}

/** Runs a server role (prints "<role>: port N") and a counting client against it. */
async function counted(serverArgs: string[], clientArgs: (port: number) => string[]): Promise<Counted> {
  let port = 0;
  let server: Running | undefined;
  try {
    server = await startProcess(peerCommand(...serverArgs), (out) => {
      const m = /: port (\d+)/.exec(out);
      if (m) port = Number(m[1]);
      return m !== null;
    });
    const r = await timeProcess(peerCommand(...clientArgs(port)));
    if (r.exitCode !== 0) throw new Error(`${clientArgs(port)[0]} exited ${r.exitCode}: ${r.output.trim()}`);
    return parseCount(r.output, clientArgs(port)[0]);
  } finally {
    await server?.stop();
  }
}

/** Bytes per update, by variant, over the Domus runs (for the notes). */
const updateBytes = new Map<string, number[]>();

async function rfbRateRun(): Promise<Sample> {
  const also: Record<string, number> = {};
  for (const v of VARIANTS) {
    const c = await counted(['serve', v.pattern], (port) => ['client', String(port), String(v.encoding), String(WARMUP_MS), String(WINDOW_MS)]);
    if (c.partial > 0) throw new Error(`${v.key}: ${c.partial} of ${c.frames} updates did not cover the whole screen`);
    also[v.key] = c.frames / (c.ms / 1000);
    const list = updateBytes.get(v.key) ?? [];
    list.push(c.bytes / c.frames);
    updateBytes.set(v.key, list);
  }
  return { ms: also[VARIANTS[0].key], also };
}

async function socketRateRun(): Promise<Sample> {
  const c = await counted(['source'], (port) => ['sink', String(port), String(WARMUP_MS), String(WINDOW_MS)]);
  return { ms: c.frames / (c.ms / 1000) };
}

async function rateRows(): Promise<Row[]> {
  const peer = peerCommand('source');
  const domus = peerCommand('serve', '…');
  const also = Object.fromEntries(VARIANTS.slice(1).map((v) => [v.key, v.label]));
  const rows = await compareRows({
    benchmark: VARIANTS[0].label,
    qemu: peer,
    domus,
    unit: 'updates/s',
    measure: (command) => (command === peer ? socketRateRun() : rfbRateRun()),
    also,
  });
  rows.forEach((row, i) => {
    const b = updateBytes.get(VARIANTS[i].key);
    if (b !== undefined) row.note = `Domus: ${Math.round(median(b))} bytes per update (median)`;
  });
  return rows;
}

// ---- Key-to-screen latency -----------------------------------------------------------------------

const cellX = (col: number): number => 8 + 8 * col;
const cellY = (row: number): number => 40 + 16 * row;

/** True if a rectangle of the update covers the cell (col, row). */
function coversCell(u: Update, col: number, row: number): boolean {
  const x0 = cellX(col);
  const y0 = cellY(row);
  return u.rects.some((r) => r.x <= x0 && r.y <= y0 && r.x + r.w >= x0 + 8 && r.y + r.h >= y0 + 16);
}

/** True if a Raw rectangle of the update covers the cell (col, row) and shows a white pixel in it. */
function showsCell(u: Update, col: number, row: number): boolean {
  const x0 = cellX(col);
  const y0 = cellY(row);
  for (const r of u.rects) {
    if (r.pixels === undefined || r.x > x0 || r.y > y0 || r.x + r.w < x0 + 8 || r.y + r.h < y0 + 16) continue;
    for (let y = y0; y < y0 + 16; y++) {
      for (let x = x0; x < x0 + 8; x++) if ((r.pixels[(y - r.y) * r.w + (x - r.x)] & 0xffffff) === 0xffffff) return true;
    }
  }
  return false;
}

interface KeyRun {
  /** Milliseconds per counted key. */
  latencies: number[];
  /** Bytes of the update that showed each counted key. */
  bytes: number[];
  /** The covering rectangle of the last one, as w x h. */
  rect: string;
}

/** What one run measured, by encoding: Raw first, then ZRLE on a second connection. */
type KeyRuns = Record<'raw' | 'zrle', KeyRun>;

/**
 * Types WARMUP_KEYS + KEYS 'a's on the screen served at `port` in `encoding`, each echoed at
 * (firstCol + i, KEY_ROW), and times each from the key's write to the update that shows it: with
 * Raw, one whose rectangle covers the cell and has a white pixel there; with ZRLE (not inflated
 * here), one whose rectangle covers the cell.
 */
async function typeAndTime(port: number, encoding: number, firstCol: number): Promise<KeyRun> {
  const c = await RfbClient.connect(port);
  try {
    if (c.width !== WIDTH || c.height !== HEIGHT) throw new Error(`the screen is ${c.width}x${c.height}, not ${WIDTH}x${HEIGHT}`);
    c.setEncodings([encoding]);
    c.requestUpdate(false);
    await within(c.nextUpdate(), 10_000, 'first full update');
    // Keep the pixels of rectangles that could hold the row's cells.
    const keep = (r: { y: number; h: number }): boolean => r.y <= cellY(KEY_ROW) && r.y + r.h >= cellY(KEY_ROW) + 16;
    const shows = encoding === RAW ? showsCell : coversCell;
    // Updates as they come, each answered at once with the next incremental request.
    const queue: Update[] = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    const pump = async (): Promise<void> => {
      for (;;) {
        c.requestUpdate(true);
        const u = await c.nextUpdate(keep);
        queue.push(u);
        wake?.();
      }
    };
    void pump().catch((e: Error) => {
      failure = e;
      wake?.();
    });
    const next = async (): Promise<Update> => {
      while (queue.length === 0) {
        if (failure) throw failure;
        await new Promise<void>((r) => (wake = r));
      }
      return queue.shift()!;
    };
    const press = Buffer.concat([RfbClient.key(XK_A, true), RfbClient.key(XK_A, false)]);
    const run: KeyRun = { latencies: [], bytes: [], rect: '' };
    for (let i = 0; i < WARMUP_KEYS + KEYS; i++) {
      await sleep(GAP_MS);
      queue.length = 0; // anything that came meanwhile is not this key's
      const col = firstCol + i;
      const t0 = performance.now();
      c.socket.write(press);
      for (;;) {
        const u = await within(next(), 10_000, `update showing the key in cell (${col},${KEY_ROW}) (key ${i + 1})`);
        if (!shows(u, col, KEY_ROW)) continue;
        if (i >= WARMUP_KEYS) {
          run.latencies.push(u.at - t0);
          run.bytes.push(u.bytes);
          const r = u.rects.find((x) => x.y <= cellY(KEY_ROW) && x.y + x.h >= cellY(KEY_ROW) + 16)!;
          run.rect = `${r.w}x${r.h}`;
        }
        break;
      }
    }
    return run;
  } finally {
    c.close();
  }
}

/** A screen served for one encoding's keys: its port, and how to take it down. */
interface KeyScreen {
  port: number;
  close(): Promise<void>;
}

/** Raw, then ZRLE, each on a fresh screen (a fresh domain on Domus: see KEYS). */
async function typeBoth(serve: () => Promise<KeyScreen>, extras: KeyRuns[]): Promise<Sample> {
  const runs: Partial<KeyRuns> = {};
  for (const [key, encoding] of [['raw', RAW], ['zrle', ZRLE]] as const) {
    const s = await serve();
    try {
      runs[key] = await typeAndTime(s.port, encoding, FIRST_COL);
    } finally {
      await s.close();
    }
  }
  const done = runs as KeyRuns;
  extras.push(done);
  return { ms: median(done.raw.latencies), also: { zrle: median(done.zrle.latencies) } };
}

/** The peer: a served Screen whose key callback draws the echoed cell itself. */
async function inProcessScreen(): Promise<KeyScreen> {
  const screen = new Screen(WIDTH, HEIGHT);
  screen.fill(screen.bounds, BACKGROUND);
  let col = FIRST_COL;
  const rfb = new RfbServer({
    screen, name: 'bench-keys',
    input: { key: (keysym, isDown) => void (isDown && keysym === XK_A && screen.fill({ x: cellX(col++), y: cellY(KEY_ROW), w: 8, h: 16 }, 0xffffff)) },
  });
  const server = createServer();
  const listener = new VncListener(rfb);
  listener.listenOn(server);
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const a = server.address();
  const close = async (): Promise<void> => {
    rfb.close();
    listener.close();
    await new Promise((r) => server.close(r));
  };
  if (a === null || typeof a === 'string') {
    await close();
    throw new Error('no port');
  }
  return { port: a.port, close };
}

/** Polls the domain's console until `pattern` shows; a FAILED line ends the wait. */
async function consoleWait(kernel: KernelClient, domid: number, pattern: RegExp, ms: number): Promise<void> {
  const poll = async (): Promise<void> => {
    for (;;) {
      const text = Buffer.from(await kernel.consoleTail(domid)).toString('latin1');
      if (pattern.test(text)) return;
      const failed = /minios: (screen FAILED|fatal trap).*/.exec(text);
      if (failed) throw new Error(`domain ${domid}: ${failed[0].trim()}`);
      await sleep(100);
    }
  };
  return within(poll(), ms, `${pattern.source} on domain ${domid}'s console`);
}

async function vncPort(host: DomusHost, domid: number): Promise<number> {
  const xs = await XsClient.connect(storeSocketOf(host.home));
  try {
    const poll = async (): Promise<number> => {
      for (;;) {
        const p = Number(await xs.readIfExists(`/local/domain/0/backend/vfb/${domid}/0/vnc-port`));
        if (p > 0) return p;
        await sleep(50);
      }
    };
    return await within(poll(), 15_000, `domain ${domid}'s vnc-port in the store`);
  } finally {
    xs.close();
  }
}

let domainNumber = 0;

/** A minios domain with a 1024x768 PV framebuffer and keyboard, once its screen is up. */
async function guestScreen(host: DomusHost): Promise<KeyScreen> {
  const name = `vnckeys${++domainNumber}`;
  const cfg = join(host.home, `${name}.cfg`);
  writeFileSync(cfg, [
    `name = '${name}'`, "builder = 'linux'", `kernel = '${MINIOS}'`, 'memory = 32', "vfb = [ 'type=vnc' ]",
    `extra = 'mode=screen fb=${WIDTH}x${HEIGHT} name=${name}'`, '',
  ].join('\n'));
  const destroy = async (): Promise<void> => {
    const d = await timeProcess(host.xm(['destroy', name]));
    if (d.exitCode !== 0) process.stderr.write(`  vnc: xm destroy ${name} exited ${d.exitCode}: ${d.output.trim()}\n`);
  };
  const r = await timeProcess(host.xm(['create', cfg]));
  const id = /Started domain \S+ \(id=(\d+)\)/.exec(r.output)?.[1];
  if (r.exitCode !== 0 || id === undefined) throw new Error(`xm create ${name} exited ${r.exitCode}: ${r.output.trim()}`);
  const kernel = await KernelClient.connect(host.home);
  try {
    const domid = Number(id);
    await consoleWait(kernel, domid, /minios: screen: framebuffer device .*keyboard connected/, 60_000);
    return { port: await vncPort(host, domid), close: destroy };
  } catch (e) {
    await destroy();
    throw e;
  } finally {
    kernel.close();
  }
}

function keyNote(side: string, runs: KeyRun[]): string {
  const all = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const p90 = all[Math.min(all.length - 1, Math.floor(all.length * 0.9))];
  const bytes = Math.round(median(runs.flatMap((r) => r.bytes)));
  return `${side}: p90 of all keys ${p90.toFixed(1)} ms, max ${all[all.length - 1].toFixed(1)} ms, update ${bytes} bytes (rectangle ${runs[runs.length - 1].rect})`;
}

async function latencyRows(): Promise<Row[]> {
  let host: DomusHost | undefined;
  const peer: Command = { cmd: 'in-process', args: ['RfbServer', 'key callback draws the cell'] };
  const domus: Command = { cmd: 'xm', args: ['create', 'minios mode=screen fb=1024x768'] };
  const peerRuns: KeyRuns[] = [];
  const guestRuns: KeyRuns[] = [];
  const what = (encoding: string): string =>
    `vnc: key-to-screen latency, 'a' pressed and released on a VNC client (${encoding}) → update showing it on minios's 1024x768 PV framebuffer, ` +
    `median of ${KEYS} keys (peer: RfbServer in-process, its key callback draws the cell)`;
  try {
    const rows = await compareRows({
      benchmark: what('Raw'),
      qemu: peer,
      domus,
      measure: async (command) => {
        if (command === peer) return typeBoth(inProcessScreen, peerRuns);
        const h = (host ??= await DomusHost.up());
        return typeBoth(() => guestScreen(h), guestRuns);
      },
      also: { zrle: what('ZRLE') },
    });
    rows.forEach((row, i) => {
      const key = i === 0 ? 'raw' : 'zrle';
      const notes = [];
      if (guestRuns.length) notes.push(keyNote('Domus', guestRuns.map((r) => r[key])));
      if (peerRuns.length) notes.push(keyNote('peer', peerRuns.map((r) => r[key])));
      if (notes.length) row.note = notes.join('; ');
    });
    return rows;
  } finally {
    await host?.down();
  }
}

export async function vncBench(): Promise<Row[]> {
  return [...(await rateRows()), ...(await latencyRows())];
}

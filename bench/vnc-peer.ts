// The processes of bench/vnc.ts, as roles of one script, and the small RFB 3.8 client it uses
// (written from RFC 6143: security None, the server's own pixel format, Raw/Hextile/ZRLE parsed
// only as far as needed to find each update's end; Raw pixels are kept when asked for).
//
//   node dist/bench/vnc-peer.js serve flat|noise
//       a 1024x768 Screen served by RfbServer (services/vnc) through VncListener on 127.0.0.1,
//       port 0, as the framebuffer service serves a domain's screen. Every pointer event a client
//       sends changes the whole screen: "flat" fills it with the next of a sequence of colours,
//       "noise" puts up the next of NOISE_FRAMES frames of random pixels (made beforehand, so
//       making them is not timed). Prints "serve: port N".
//   node dist/bench/vnc-peer.js client PORT ENCODING WARMUP_MS WINDOW_MS
//       connects, asks for ENCODING (0 Raw, 5 Hextile, 16 ZRLE) and reads one full update; then in
//       a loop sends a pointer event (the screen changes) and an incremental FramebufferUpdateRequest
//       in one write, and reads the update (without inflating ZRLE's data). From the first update
//       it waits WARMUP_MS, then counts the updates that complete over at least WINDOW_MS (first to
//       last completion, by its own clock) and prints
//       `{"frames":F,"ms":T,"bytes":B,"partial":P}` (P: updates that did not cover the screen).
//   node dist/bench/vnc-peer.js source
//       listens on 127.0.0.1, port 0, and answers every 10-byte request (a FramebufferUpdateRequest's
//       size) with FRAME_BYTES bytes, a Raw full-screen update's size. Prints "source: port N".
//   node dist/bench/vnc-peer.js sink PORT WARMUP_MS WINDOW_MS
//       sends a request, reads the frame, again, counting as the client does; prints
//       `{"frames":F,"ms":T,"bytes":B,"partial":0}`.

import { randomFillSync } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { RfbServer } from '../services/vnc/rfb-server.js';
import { Screen } from '../services/vnc/screen.js';
import { VncListener } from '../services/vnc/websocket.js';

export const WIDTH = 1024;
export const HEIGHT = 768;
const BPP = 4;
/** A Raw full-screen FramebufferUpdate: message header (4), rectangle header (12), pixels. */
export const FRAME_BYTES = 4 + 12 + WIDTH * HEIGHT * BPP;
const NOISE_FRAMES = 4;

export const RAW = 0;
export const COPY_RECT = 1;
export const HEXTILE = 5;
export const ZRLE = 16;
const CURSOR = -239;
const DESKTOP_SIZE = -223;

function fail(msg: string): never {
  process.stderr.write(`vnc-peer: ${msg}\n`);
  process.exit(2);
}

/** Bytes as they arrive, taken in pieces of any size; waits only when a piece is not all here. */
class ByteReader {
  private chunks: Buffer[] = [];
  private head = 0;
  private available = 0;
  private wake: (() => void) | undefined;
  private error: Error | undefined;
  /** Every byte taken or skipped so far. */
  consumed = 0;

  push(b: Buffer): void {
    this.chunks.push(b);
    this.available += b.length;
    this.notify();
  }

  end(e: Error): void {
    this.error ??= e;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private more(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve) => (this.wake = resolve));
  }

  async take(n: number): Promise<Buffer> {
    while (this.available < n) await this.more();
    this.available -= n;
    this.consumed += n;
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) this.drop();
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    for (let at = 0; at < n;) {
      const c = this.chunks[0];
      const k = Math.min(n - at, c.length - this.head);
      c.copy(out, at, this.head, this.head + k);
      at += k;
      this.head += k;
      if (this.head === c.length) this.drop();
    }
    return out;
  }

  /** Discards n bytes without copying them, as they arrive. */
  async skip(n: number): Promise<void> {
    this.consumed += n;
    while (n > 0) {
      while (this.available === 0) await this.more();
      const c = this.chunks[0];
      const k = Math.min(n, c.length - this.head);
      n -= k;
      this.available -= k;
      this.head += k;
      if (this.head === c.length) this.drop();
    }
  }

  private drop(): void {
    this.chunks.shift();
    this.head = 0;
  }

  async u8(): Promise<number> {
    return (await this.take(1))[0];
  }

  async u16(): Promise<number> {
    return (await this.take(2)).readUInt16BE(0);
  }

  async u32(): Promise<number> {
    return (await this.take(4)).readUInt32BE(0);
  }

  async s32(): Promise<number> {
    return (await this.take(4)).readInt32BE(0);
  }
}

export interface UpdateRect {
  x: number;
  y: number;
  w: number;
  h: number;
  encoding: number;
  /** A Raw rectangle's pixels (0x00RRGGBB, row after row), if the caller asked to keep them. */
  pixels?: Uint32Array;
}

export interface Update {
  rects: UpdateRect[];
  /** Bytes of the message. */
  bytes: number;
  /** performance.now() when its last byte was read. */
  at: number;
}

/** An RFB 3.8 client with security None and the server's pixel format (32 bpp, x8r8g8b8). */
export class RfbClient {
  private readonly reader = new ByteReader();
  width = 0;
  height = 0;
  name = '';

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.reader.push(c));
    socket.on('close', () => this.reader.end(new Error('the server closed the connection')));
    socket.on('error', (e) => this.reader.end(e));
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RfbClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RfbClient(socket);
    try {
      await c.handshake();
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return c;
  }

  private async handshake(): Promise<void> {
    const r = this.reader;
    const version = (await r.take(12)).toString('latin1');
    if (!version.startsWith('RFB 003.')) throw new Error(`not an RFB server: ${JSON.stringify(version)}`);
    this.socket.write('RFB 003.008\n');
    const n = await r.u8();
    if (n === 0) throw new Error(`refused: ${(await r.take(await r.u32())).toString('latin1')}`);
    const types = [...(await r.take(n))];
    if (!types.includes(1)) throw new Error(`the server offers security types ${types.join(',')}, not None`);
    this.socket.write(Buffer.from([1]));
    if ((await r.u32()) !== 0) throw new Error(`security failed: ${(await r.take(await r.u32())).toString('latin1')}`);
    this.socket.write(Buffer.from([1])); // shared
    this.width = await r.u16();
    this.height = await r.u16();
    const pf = await r.take(16);
    if (pf[0] !== 32 || pf[3] !== 1 || pf[2] !== 0 || pf[10] !== 16 || pf[11] !== 8 || pf[12] !== 0) {
      throw new Error(`the server's pixel format is not x8r8g8b8: ${[...pf].join(',')}`);
    }
    this.name = (await r.take(await r.u32())).toString('utf8');
  }

  setEncodings(encodings: number[]): void {
    const b = Buffer.alloc(4 + 4 * encodings.length);
    b[0] = 2;
    b.writeUInt16BE(encodings.length, 2);
    encodings.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
    this.socket.write(b);
  }

  static updateRequest(incremental: boolean, w: number, h: number): Buffer {
    const b = Buffer.alloc(10);
    b[0] = 3;
    b[1] = incremental ? 1 : 0;
    b.writeUInt16BE(w, 6);
    b.writeUInt16BE(h, 8);
    return b;
  }

  static key(keysym: number, down: boolean): Buffer {
    const b = Buffer.alloc(8);
    b[0] = 4;
    b[1] = down ? 1 : 0;
    b.writeUInt32BE(keysym, 4);
    return b;
  }

  static pointer(x: number, y: number, buttons: number): Buffer {
    const b = Buffer.alloc(6);
    b[0] = 5;
    b[1] = buttons;
    b.writeUInt16BE(x, 2);
    b.writeUInt16BE(y, 4);
    return b;
  }

  requestUpdate(incremental: boolean): void {
    this.socket.write(RfbClient.updateRequest(incremental, this.width, this.height));
  }

  /**
   * Reads server messages up to the end of the next FramebufferUpdate. `keep` says which Raw
   * rectangles' pixels to return (the others are skipped).
   */
  async nextUpdate(keep?: (r: UpdateRect) => boolean): Promise<Update> {
    const r = this.reader;
    for (;;) {
      const start = r.consumed;
      const type = await r.u8();
      if (type === 0) {
        await r.skip(1);
        const n = await r.u16();
        const rects: UpdateRect[] = [];
        for (let i = 0; i < n; i++) {
          const h: UpdateRect = { x: await r.u16(), y: await r.u16(), w: await r.u16(), h: await r.u16(), encoding: await r.s32() };
          await this.rectData(h, keep);
          rects.push(h);
        }
        return { rects, bytes: r.consumed - start, at: performance.now() };
      } else if (type === 1) {
        await r.skip(3);
        await r.skip(6 * (await r.u16()));
      } else if (type === 2) {
        // Bell.
      } else if (type === 3) {
        await r.skip(3);
        await r.skip(await r.u32());
      } else {
        throw new Error(`server message type ${type}`);
      }
    }
  }

  private async rectData(h: UpdateRect, keep?: (r: UpdateRect) => boolean): Promise<void> {
    const r = this.reader;
    switch (h.encoding) {
      case RAW: {
        const n = h.w * h.h * BPP;
        if (keep?.(h)) {
          const b = await r.take(n);
          h.pixels = new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + n));
        } else {
          await r.skip(n);
        }
        return;
      }
      case COPY_RECT:
        await r.skip(4);
        return;
      case HEXTILE:
        for (let ty = 0; ty < h.h; ty += 16) {
          for (let tx = 0; tx < h.w; tx += 16) {
            const sub = await r.u8();
            if (sub & 1) {
              await r.skip(Math.min(16, h.w - tx) * Math.min(16, h.h - ty) * BPP);
              continue;
            }
            if (sub & 2) await r.skip(BPP);
            if (sub & 4) await r.skip(BPP);
            if (sub & 8) await r.skip((await r.u8()) * (sub & 16 ? BPP + 2 : 2));
          }
        }
        return;
      case ZRLE:
        await r.skip(await r.u32());
        return;
      case CURSOR:
        await r.skip(h.w * h.h * BPP + Math.ceil(h.w / 8) * h.h);
        return;
      case DESKTOP_SIZE:
        this.width = h.w;
        this.height = h.h;
        return;
      default:
        throw new Error(`a rectangle in encoding ${h.encoding}`);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A rate measured over frames: the first completes at t0, the last at t1. */
export interface RateResult {
  frames: number;
  ms: number;
  bytes: number;
  partial: number;
}

/**
 * Runs `frame` (one request and its reply; resolves with its bytes and whether it covered the
 * screen) over and over: from the first, WARMUP_MS, then at least WINDOW_MS of frames.
 */
async function countFrames(frame: () => Promise<{ bytes: number; full: boolean }>, warmupMs: number, windowMs: number): Promise<RateResult> {
  await frame();
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await frame();
  const t0 = performance.now();
  let frames = 0;
  let bytes = 0;
  let partial = 0;
  let t1 = t0;
  while (t1 - t0 < windowMs) {
    const f = await frame();
    t1 = performance.now();
    frames++;
    bytes += f.bytes;
    if (!f.full) partial++;
  }
  return { frames, ms: t1 - t0, bytes, partial };
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('no port'));
      else resolve(a.port);
    });
  });
}

// ---- Roles --------------------------------------------------------------------------------------

async function serve(pattern: string): Promise<void> {
  if (pattern !== 'flat' && pattern !== 'noise') fail(`a pattern "${pattern}" (flat or noise)`);
  const screen = new Screen(WIDTH, HEIGHT);
  const noise = pattern === 'noise'
    ? Array.from({ length: NOISE_FRAMES }, () => randomFillSync(new Uint32Array(WIDTH * HEIGHT)).map((v) => v & 0xffffff))
    : [];
  let n = 0;
  const change = (): void => {
    n++;
    if (pattern === 'flat') screen.fill(screen.bounds, (n * 0x10305) & 0xffffff);
    else screen.putImage(0, 0, WIDTH, HEIGHT, noise[n % NOISE_FRAMES]);
  };
  change();
  const rfb = new RfbServer({ screen, name: 'bench', input: { pointer: change } });
  const server = createServer();
  new VncListener(rfb).listenOn(server);
  const port = await listening(server);
  process.stdout.write(`serve: port ${port}\n`);
}

async function client(port: number, encoding: number, warmupMs: number, windowMs: number): Promise<void> {
  const c = await RfbClient.connect(port);
  c.setEncodings([encoding]);
  c.requestUpdate(false);
  await c.nextUpdate();
  const trigger = Buffer.concat([RfbClient.pointer(1, 1, 0), RfbClient.updateRequest(true, c.width, c.height)]);
  const result = await countFrames(async () => {
    c.socket.write(trigger);
    const u = await c.nextUpdate();
    const area = u.rects.reduce((s, r) => s + (r.encoding === encoding ? r.w * r.h : 0), 0);
    return { bytes: u.bytes, full: area === c.width * c.height };
  }, warmupMs, windowMs);
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

async function source(): Promise<void> {
  const frame = Buffer.alloc(FRAME_BYTES);
  frame.writeUInt16BE(1, 2);
  frame.writeUInt16BE(WIDTH, 8);
  frame.writeUInt16BE(HEIGHT, 10);
  randomFillSync(frame, 16);
  const server = createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => {});
    let pending = 0;
    s.on('data', (chunk: Buffer) => {
      pending += chunk.length;
      for (; pending >= 10; pending -= 10) s.write(frame);
    });
  });
  const port = await listening(server);
  process.stdout.write(`source: port ${port}\n`);
}

async function sink(port: number, warmupMs: number, windowMs: number): Promise<void> {
  const s = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  const reader = new ByteReader();
  s.on('data', (c: Buffer) => reader.push(c));
  s.on('close', () => reader.end(new Error('the source closed the connection')));
  const request = Buffer.alloc(10, 3);
  const result = await countFrames(async () => {
    s.write(request);
    await reader.skip(FRAME_BYTES);
    return { bytes: FRAME_BYTES, full: true };
  }, warmupMs, windowMs);
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [role, ...args] = process.argv.slice(2);
  const num = (i: number): number => Number(args[i]);
  try {
    switch (role) {
      case 'serve':
        await serve(args[0]);
        break;
      case 'client':
        await client(num(0), num(1), num(2), num(3));
        break;
      case 'source':
        await source();
        break;
      case 'sink':
        await sink(num(0), num(1), num(2));
        break;
      default:
        fail('usage: vnc-peer.js serve flat|noise | client PORT ENCODING WARMUP_MS WINDOW_MS | source | sink PORT WARMUP_MS WINDOW_MS');
    }
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
}

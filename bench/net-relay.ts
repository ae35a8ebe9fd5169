// The peer of bench/net.ts: a plain socket relay between two processes, in three roles of one
// script, each its own node process, all on Unix stream sockets with QEMU's stream framing (each
// frame after its length, 4 bytes big-endian, as `-netdev stream` and services/net/stream-socket.ts):
//
//   node dist/bench/net-relay.js relay IN OUT
//       listens on IN (the source) and OUT (the sink); once the sink is there, reads frames from
//       the source and writes each (a fresh 4-byte header, then the frame) to the sink: the
//       writes of one read are corked into one writev; a full sink pauses the source. Prints
//       "relay: listening".
//   node dist/bench/net-relay.js sink OUT WARMUP_MS WINDOW_MS
//       connects to OUT and counts frames and their bytes. From the first frame it waits
//       WARMUP_MS, counts over the next WINDOW_MS (as its own clock measured them) and prints
//       `{"frames":F,"bytes":B,"ms":T}`, then exits.
//   node dist/bench/net-relay.js source IN SIZE
//       connects to IN and writes frames of SIZE bytes (60..1514) as fast as the socket takes
//       them, in writes of BATCH frames (the flooding minios's 28 tx buffers in flight). Each
//       frame is an Ethernet/IPv4/UDP datagram to port 9 like minios's flood's, with a u32
//       big-endian sequence number at the payload's start (no checksums computed). Prints
//       "source: connected".

import { connect, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

const HEADER = 4;
/** Frames per write of the source. */
const BATCH = 28;

function fail(msg: string): never {
  process.stderr.write(`net-relay: ${msg}\n`);
  process.exit(2);
}

/** Cuts a byte stream into frames (views where a frame lies in one chunk), however it is chunked. */
class Framer {
  private pending: Buffer | undefined;

  push(chunk: Buffer, frame: (f: Buffer) => void): void {
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let at = 0;
    while (buf.length - at >= HEADER) {
      const len = buf.readUInt32BE(at);
      if (len === 0 || len > 65535) fail(`a frame length of ${len}`);
      if (buf.length - at - HEADER < len) break;
      frame(buf.subarray(at + HEADER, at + HEADER + len));
      at += HEADER + len;
    }
    if (at < buf.length) this.pending = buf.subarray(at);
  }
}

function listen(path: string, onConnection: (s: Socket) => void): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

function connected(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

async function relay(inPath: string, outPath: string): Promise<void> {
  let out: Socket | undefined;
  let source: Socket | undefined;
  const start = (): void => {
    const src = source;
    const dst = out;
    if (src === undefined || dst === undefined) return;
    const framer = new Framer();
    src.on('data', (chunk: Buffer) => {
      dst.cork();
      framer.push(chunk, (f) => {
        const h = Buffer.allocUnsafe(HEADER);
        h.writeUInt32BE(f.length, 0);
        dst.write(h);
        dst.write(f);
      });
      dst.uncork();
      if (dst.writableNeedDrain) {
        src.pause();
        dst.once('drain', () => src.resume());
      }
    });
    src.resume();
  };
  await listen(outPath, (s) => {
    s.on('error', () => process.exit(0));
    s.on('close', () => process.exit(0));
    out = s;
    start();
  });
  await listen(inPath, (s) => {
    s.pause();
    s.on('error', () => process.exit(0));
    s.on('close', () => process.exit(0));
    source = s;
    start();
  });
  process.stdout.write('relay: listening\n');
}

async function sink(path: string, warmupMs: number, windowMs: number): Promise<void> {
  const s = await connected(path);
  let frames = 0;
  let bytes = 0;
  let need = -HEADER; // < 0: header bytes still to come (then `header` holds those seen); >= 0: frame bytes left
  let header = 0;
  let first = true;
  s.on('data', (chunk: Buffer) => {
    if (first) {
      first = false;
      setTimeout(() => {
        const f0 = frames;
        const b0 = bytes;
        const t0 = performance.now();
        setTimeout(() => {
          const ms = performance.now() - t0;
          process.stdout.write(`${JSON.stringify({ frames: frames - f0, bytes: bytes - b0, ms })}\n`, () => process.exit(0));
        }, windowMs);
      }, warmupMs);
    }
    let at = 0;
    while (at < chunk.length) {
      if (need < 0) {
        header = header * 256 + chunk[at++];
        if (++need === 0) {
          need = header;
          header = 0;
          if (need === 0 || need > 65535) fail(`a frame length of ${need}`);
          frames++;
          bytes += need;
        }
      } else {
        const take = Math.min(need, chunk.length - at);
        at += take;
        need -= take;
        if (need === 0) need = -HEADER;
      }
    }
  });
  s.on('close', () => fail('the relay closed the connection'));
}

/** One frame like those of minios's flood: Ethernet (unicast), IPv4, UDP from port 49152 to port 9. */
function template(size: number): Buffer {
  const f = Buffer.alloc(size);
  Buffer.from([0x00, 0x16, 0x3e, 0x00, 0x00, 0x01, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x02, 0x08, 0x00]).copy(f, 0);
  const ipLen = size - 14;
  f.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1], 14);
  f.writeUInt16BE(49152, 34);
  f.writeUInt16BE(9, 36);
  f.writeUInt16BE(ipLen - 20, 38);
  for (let i = 4; i < size - 42; i++) f[42 + i] = i & 0xff;
  return f;
}

async function source(path: string, size: number): Promise<void> {
  if (!Number.isInteger(size) || size < 60 || size > 1514) fail(`a frame size of ${size}`);
  const s = await connected(path);
  s.on('error', () => process.exit(0));
  s.on('close', () => process.exit(0));
  const frame = template(size);
  const stride = HEADER + size;
  const batch = Buffer.alloc(BATCH * stride);
  for (let i = 0; i < BATCH; i++) {
    batch.writeUInt32BE(size, i * stride);
    frame.copy(batch, i * stride + HEADER);
  }
  let seq = 0;
  const pump = (): void => {
    for (;;) {
      // A fresh buffer per write: the socket may hold on to the last one until it is sent.
      const b = Buffer.from(batch);
      for (let i = 0; i < BATCH; i++, seq = (seq + 1) >>> 0) {
        const at = i * stride + HEADER;
        b.writeUInt16BE(seq & 0xffff, at + 18); // IPv4 id
        b.writeUInt32BE(seq, at + 42);
      }
      if (!s.write(b)) {
        s.once('drain', pump);
        return;
      }
    }
  };
  process.stdout.write('source: connected\n');
  pump();
}

const [role, ...args] = process.argv.slice(2);
switch (role) {
  case 'relay':
    await relay(args[0], args[1]);
    break;
  case 'sink':
    await sink(args[0], Number(args[1]), Number(args[2]));
    break;
  case 'source':
    await source(args[0], Number(args[1]));
    break;
  default:
    fail(`usage: net-relay.js relay IN OUT | sink OUT WARMUP_MS WINDOW_MS | source IN SIZE`);
}

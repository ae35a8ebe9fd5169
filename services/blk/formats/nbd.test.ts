import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ImageError, type BlockImage } from "../image.js";
import { openNbdImage } from "./nbd.js";
import {
  ByteQueue, CMD_DISC, CMD_READ, CMD_WRITE, FLAG_FIXED_NEWSTYLE, FLAG_HAS_FLAGS, FLAG_NO_ZEROES, FLAG_READ_ONLY,
  FLAG_SEND_FLUSH, IHAVEOPT, INFO_BLOCK_SIZE, INFO_EXPORT, MAX_OPTION_REPLY, NBDMAGIC, OPTION_REPLY_MAGIC, OPT_ABORT,
  OPT_EXPORT_NAME, OPT_GO, REP_ACK, REP_ERR_UNKNOWN, REP_ERR_UNSUP, REP_INFO, SIMPLE_REPLY_MAGIC, WireError,
  decodeGreeting, decodeOptionReply, parseInfo, simpleReplyDecoder, type Decoder,
} from "./nbd-wire.js";

// ---- Helpers ----

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-nbd-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Everything a test starts, stopped after it whatever happens. */
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Server {
  child: ChildProcess;
  port: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a server in its own process group and waits until it accepts connections. */
async function startServer(command: string, args: string[], port: number): Promise<Server> {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
    await exited;
  };
  cleanups.push(() => stop());
  for (const deadline = Date.now() + 10_000; ;) {
    if (child.exitCode !== null) throw new Error(`${command} exited: ${stderr}`);
    if (await listening(port)) return { child, port, stop };
    if (Date.now() > deadline) throw new Error(`${command} does not listen on ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Whether something listens on 127.0.0.1:port, asked of the kernel rather than by connecting:
 * nbd-server -d serves a single connection, which a probe would use up.
 */
async function listening(port: number): Promise<boolean> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const table = await readFile("/proc/net/tcp", "utf8");
  return table.split("\n").some((line) => line.trim().split(/\s+/)[1] === local && line.trim().split(/\s+/)[3] === "0A");
}

async function startNbdServer(file: string, port: number): Promise<Server> {
  const config = join(dir, `nbd-server-${port}.conf`);
  await writeFile(config, [
    "[generic]", `port = ${port}`, "listenaddr = 127.0.0.1",
    "[disk]", `exportname = ${file}`, "flush = true", "",
  ].join("\n"));
  return startServer("/usr/bin/nbd-server", ["-C", config, "-d"], port);
}

async function startNbdkit(args: string[]): Promise<Server> {
  const port = await freePort();
  return startServer("/usr/bin/nbdkit", ["-f", "--exit-with-parent", "-i", "127.0.0.1", "-p", String(port), ...args], port);
}

async function open(port: number, readOnly = false, options?: Parameters<typeof openNbdImage>[2]): Promise<BlockImage> {
  const image = await openNbdImage(`127.0.0.1:${port}`, readOnly, options);
  cleanups.push(() => image.close());
  return image;
}

/** Waits until process `pid` is in the stopped state (T in /proc/PID/stat). */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("T")) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} did not stop`);
}

async function expectImageError(p: Promise<unknown>, pattern: RegExp): Promise<ImageError> {
  const e = await p.then(() => undefined, (e: unknown) => e);
  expect(e).toBeInstanceOf(ImageError);
  expect((e as Error).message).toMatch(pattern);
  return e as ImageError;
}

/** A TCP server in the test that runs `handle` on every connection. */
async function fakeServer(handle: (socket: net.Socket, index: number) => void): Promise<number> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    handle(socket, count++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

/** Reads a client's bytes as they come, for fake servers. */
function reader(socket: net.Socket): (n: number) => Promise<Buffer> {
  const q = new ByteQueue();
  let wake = () => {};
  let closed = false;
  socket.on("data", (c: Buffer) => { q.push(c); wake(); });
  socket.on("close", () => { closed = true; wake(); });
  return async (n) => {
    for (;;) {
      const b = q.take(n);
      if (b) return b;
      if (closed) throw new Error("client went away");
      await new Promise<void>((r) => (wake = r));
    }
  };
}

function greeting(flags = FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES): Buffer {
  const b = Buffer.alloc(18);
  b.writeBigUInt64BE(NBDMAGIC, 0);
  b.writeBigUInt64BE(IHAVEOPT, 8);
  b.writeUInt16BE(flags, 16);
  return b;
}

function optionReply(option: number, type: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(20 + data.length);
  b.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0);
  b.writeUInt32BE(option, 8);
  b.writeUInt32BE(type, 12);
  b.writeUInt32BE(data.length, 16);
  b.set(data, 20);
  return b;
}

function simpleReply(handle: bigint, error: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(16 + data.length);
  b.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
  b.writeUInt32BE(error, 4);
  b.writeBigUInt64BE(handle, 8);
  b.set(data, 16);
  return b;
}

function exportInfo(size: number, flags: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(INFO_EXPORT, 0);
  b.writeBigUInt64BE(BigInt(size), 2);
  b.writeUInt16BE(flags, 10);
  return b;
}

function blockSizeInfo(minimum: number, preferred: number, maximum: number): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16BE(INFO_BLOCK_SIZE, 0);
  b.writeUInt32BE(minimum, 2);
  b.writeUInt32BE(preferred, 6);
  b.writeUInt32BE(maximum, 10);
  return b;
}

interface FakeRequest {
  command: number;
  offset: number;
  length: number;
  connection: number;
}

interface FakeNbdOptions {
  /** Answer NBD_OPT_GO with NBD_REP_ERR_UNSUP, so the client must fall back to NBD_OPT_EXPORT_NAME. */
  noGo?: boolean;
  blockSizes?: [number, number, number];
  flags?: number;
  /**
   * Decides each request's fate: undefined to serve it, an errno to fail it, "drop" to hang up
   * without answering, "truncate" to hang up halfway through the reply, "wrong-handle" to answer
   * with a handle the client never sent.
   */
  decide?: (r: FakeRequest) => number | "drop" | "truncate" | "wrong-handle" | undefined;
}

/** An NBD server over `disk`, in the test, that misbehaves on demand. */
async function fakeNbdServer(disk: Uint8Array, options: FakeNbdOptions = {}) {
  const requests: FakeRequest[] = [];
  const flags = options.flags ?? (FLAG_HAS_FLAGS | FLAG_SEND_FLUSH);
  const port = await fakeServer(async (socket, connection) => {
    const take = reader(socket);
    try {
      socket.write(greeting());
      const noZeroes = ((await take(4)).readUInt32BE(0) & FLAG_NO_ZEROES) !== 0;
      for (let done = false; !done;) {
        const h = await take(16);
        const option = h.readUInt32BE(8);
        await take(h.readUInt32BE(12));
        if (option === OPT_GO && !options.noGo) {
          socket.write(optionReply(OPT_GO, REP_INFO, exportInfo(disk.length, flags)));
          if (options.blockSizes) socket.write(optionReply(OPT_GO, REP_INFO, blockSizeInfo(...options.blockSizes)));
          socket.write(optionReply(OPT_GO, REP_ACK));
          done = true;
        } else if (option === OPT_EXPORT_NAME) {
          const b = Buffer.alloc(noZeroes ? 10 : 134);
          b.writeBigUInt64BE(BigInt(disk.length), 0);
          b.writeUInt16BE(flags, 8);
          socket.write(b);
          done = true;
        } else {
          socket.write(optionReply(option, REP_ERR_UNSUP));
        }
      }
      for (;;) {
        const h = await take(28);
        const command = h.readUInt16BE(6);
        const handle = h.readBigUInt64BE(8);
        const offset = Number(h.readBigUInt64BE(16));
        const length = h.readUInt32BE(24);
        const data = command === CMD_WRITE ? await take(length) : undefined;
        if (command === CMD_DISC) return void socket.end();
        const r = { command, offset, length, connection };
        requests.push(r);
        const fate = options.decide?.(r);
        if (fate === "drop") return void socket.destroy();
        if (fate === "truncate") return void socket.end(simpleReply(handle, 0, disk.subarray(offset, offset + length / 2)));
        if (fate === "wrong-handle") return void socket.write(simpleReply(handle + 1000n, 0));
        if (fate !== undefined) {
          socket.write(simpleReply(handle, fate));
          continue;
        }
        if (data) disk.set(data, offset);
        socket.write(simpleReply(handle, 0, command === CMD_READ ? disk.subarray(offset, offset + length) : undefined));
      }
    } catch {
      socket.destroy(); // the client went away
    }
  });
  return { port, requests };
}

// ---- Wire format: property-based ----

/** Feeds `bytes` in pieces cut at `cuts`, decoding after each piece as a connection would. */
function feed<T>(decode: Decoder<T>, bytes: Uint8Array, cuts: number[]): { messages: T[]; error?: string; buffered: number[] } {
  const q = new ByteQueue();
  const messages: T[] = [];
  const buffered: number[] = [];
  const ends = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length);
  let start = 0;
  try {
    for (const end of ends) {
      q.push(bytes.subarray(start, end));
      start = end;
      for (let m = decode(q); m !== undefined; m = decode(q)) messages.push(m);
      buffered.push(q.length);
    }
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return { messages, error: e.message, buffered };
  }
  return { messages, buffered };
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe("NBD wire format", () => {
  it("decodes option replies however the bytes are split", () => {
    const reply = fc.record({
      option: fc.nat({ max: 0xffff_ffff }),
      type: fc.nat({ max: 0xffff_ffff }),
      data: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(fc.property(fc.array(reply, { maxLength: 6 }), cuts, (replies, cutAt) => {
      const bytes = Buffer.concat(replies.map((r) => optionReply(r.option, r.type, r.data)));
      const got = feed(decodeOptionReply, bytes, cutAt);
      expect(got.error).toBeUndefined();
      expect(got.messages.map((m) => ({ ...m, data: new Uint8Array(m.data) }))).toEqual(replies);
    }), { numRuns: 300 });
  });

  it("decodes simple replies however the bytes are split, with data only for successful reads", () => {
    const reply = fc.record({ handle: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), error: fc.constantFrom(0, 5, 28), data: fc.uint8Array({ maxLength: 200 }) });
    fc.assert(fc.property(fc.uniqueArray(reply, { selector: (r) => r.handle, maxLength: 8 }), cuts, (replies, cutAt) => {
      const lengths = new Map(replies.map((r) => [r.handle, r.data.length]));
      const bytes = Buffer.concat(replies.map((r) => simpleReply(r.handle, r.error, r.error === 0 ? r.data : undefined)));
      const got = feed(simpleReplyDecoder((h) => lengths.get(h)), bytes, cutAt);
      expect(got.error).toBeUndefined();
      expect(got.messages.map((m) => ({ ...m, data: new Uint8Array(m.data) })))
        .toEqual(replies.map((r) => ({ ...r, data: r.error === 0 ? r.data : new Uint8Array(0) })));
    }), { numRuns: 300 });
  });

  it("on arbitrary bytes, yields messages or a WireError, the same whatever the split, with bounded buffering", () => {
    // Valid message starts spliced into noise, so the decoders get past their first checks.
    const noise = fc.array(fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.constant(optionReply(OPT_GO, REP_ACK).subarray(0, 16)),
      fc.constant(greeting().subarray(0, 16)),
      fc.constant(simpleReply(1n, 0).subarray(0, 8)),
    ), { maxLength: 8 }).map((parts) => Buffer.concat(parts));
    const decoders: [Decoder<unknown>, number][] = [
      [decodeGreeting, 18],
      [decodeOptionReply, 20 + MAX_OPTION_REPLY],
      [simpleReplyDecoder((h) => (h < 4n ? Number(h) * 100 : undefined)), 16 + 300],
    ];
    fc.assert(fc.property(noise, cuts, fc.nat({ max: decoders.length - 1 }), (bytes, cutAt, which) => {
      const [decode, bound] = decoders[which];
      const whole = feed(decode, bytes, []);
      const split = feed(decode, bytes, cutAt);
      expect(split.messages).toEqual(whole.messages);
      expect(split.error).toEqual(whole.error);
      // Whatever is kept waiting is less than one complete message.
      for (const n of split.buffered) expect(n).toBeLessThan(bound);
    }), { numRuns: 1000 });
  });

  it("refuses an oversized option reply from its header, before its payload arrives", () => {
    const header = optionReply(OPT_GO, REP_INFO).subarray(0, 20);
    header.writeUInt32BE(MAX_OPTION_REPLY + 1, 16);
    const q = new ByteQueue();
    q.push(header);
    expect(() => decodeOptionReply(q)).toThrow(/option reply of 65537 bytes/);
  });

  it("names what is wrong with a reply", () => {
    const decode = (bytes: Buffer) => {
      const q = new ByteQueue();
      q.push(bytes);
      return simpleReplyDecoder((h) => (h === 7n ? 0 : undefined))(q);
    };
    expect(() => decode(simpleReply(8n, 0))).toThrow(/unknown handle 0x8/);
    const structured = simpleReply(7n, 0);
    structured.writeUInt32BE(0x668e33ef, 0);
    expect(() => decode(structured)).toThrow(/structured reply/);
    expect(() => decode(Buffer.alloc(16))).toThrow(/bad reply magic/);
    expect(() => parseInfo(Buffer.from([0, 0, 1]))).toThrow(/NBD_INFO_EXPORT of 3 bytes/);
    expect(() => parseInfo(blockSizeInfo(3, 4096, 1 << 20))).toThrow(/impossible block sizes/);
    expect(() => parseInfo(blockSizeInfo(4096, 4096, 512))).toThrow(/impossible block sizes/);
  });
});

// ---- Real servers ----

describe("NBD image against nbd-server", () => {
  it("reads the file, writes at random offsets, flushes, and the file equals the model", async () => {
    const size = 4 << 20;
    const file = join(dir, "nbd-server.raw");
    const model = randomBytes(size);
    await writeFile(file, model);
    const server = await startNbdServer(file, await freePort());
    const image = await open(server.port, false, { exportName: "disk" });
    expect(image.format).toBe("nbd");
    expect(image.sizeBytes).toBe(size);
    expect(image.readOnly).toBe(false);

    const head = new Uint8Array(1 << 20);
    await image.read(head, 12345);
    expect(Buffer.from(head).equals(model.subarray(12345, 12345 + head.length))).toBe(true);

    const writes = Array.from({ length: 64 }, () => {
      const length = 1 + Math.floor(Math.random() * 70_000);
      const offset = Math.floor(Math.random() * (size - length));
      return { offset, data: randomBytes(length) };
    });
    // Sequential, since overlapping writes in flight together may land in any order.
    for (const w of writes) {
      await image.write(w.data, w.offset);
      model.set(w.data, w.offset);
    }
    await image.flush();
    expect((await readFile(file)).equals(model)).toBe(true);
    const back = new Uint8Array(size);
    await image.read(back, 0);
    expect(Buffer.from(back).equals(model)).toBe(true);
  });

  it("reconnects after a server restart, and says unflushed writes may be lost", async () => {
    const file = join(dir, "restart.raw");
    await writeFile(file, Buffer.alloc(1 << 20));
    const port = await freePort();
    let server = await startNbdServer(file, port);
    const image = await open(port, false, { exportName: "disk" });
    await image.write(Buffer.alloc(4096, 0xab), 0);
    await image.flush();
    await server.stop();
    server = await startNbdServer(file, port);
    const got = new Uint8Array(4096);
    await image.read(got, 0);
    expect(got.every((b) => b === 0xab)).toBe(true);

    await image.write(Buffer.alloc(4096, 0xcd), 4096);
    await server.stop();
    await startNbdServer(file, port);
    await image.read(got, 4096); // the reconnect happens here
    await expectImageError(image.flush(), /unflushed writes.*may be lost/);
    await image.flush(); // reported once
  });
});

describe("NBD image against nbdkit", () => {
  it("serves the memory plugin, with requests over 32 MiB split", async () => {
    const server = await startNbdkit(["memory", "64M"]);
    const image = await open(server.port);
    expect(image.sizeBytes).toBe(64 << 20);
    expect(image.readOnly).toBe(false);
    const big = randomBytes(40 << 20);
    await image.write(big, 4096);
    await image.flush();
    const back = new Uint8Array(big.length);
    await image.read(back, 4096);
    expect(Buffer.from(back).equals(big)).toBe(true);
  });

  it("gives every one of many concurrent requests its own data", async () => {
    const server = await startNbdkit(["memory", "64M"]);
    const image = await open(server.port);
    const blocks = Array.from({ length: 256 }, (_, i) => ({ offset: i * 65536 + (i % 7) * 512, data: randomBytes(512 * (1 + (i % 50))) }));
    await Promise.all(blocks.map((b) => image.write(b.data, b.offset)));
    const reads = blocks.map((b) => ({ ...b, got: new Uint8Array(b.data.length) }));
    await Promise.all(reads.map((r) => image.read(r.got, r.offset)));
    for (const r of reads) expect(Buffer.from(r.got).equals(r.data)).toBe(true);
  });

  it("reports a read-only export as read-only and refuses writes", async () => {
    const file = join(dir, "ro.raw");
    const content = randomBytes(1 << 20);
    await writeFile(file, content);
    const server = await startNbdkit(["-r", "file", file]);
    const image = await open(server.port, false);
    expect(image.readOnly).toBe(true);
    const got = new Uint8Array(8192);
    await image.read(got, 8192);
    expect(Buffer.from(got).equals(content.subarray(8192, 16384))).toBe(true);
    await expectImageError(image.write(new Uint8Array(512), 0), /read-only/);
    expect((await readFile(file)).equals(content)).toBe(true);
  });

  it("rejects pending and later requests with ImageError when the server is killed", async () => {
    const server = await startNbdkit(["memory", "64M"]);
    const image = await open(server.port, false, { timeoutMs: 2000 });
    const reads = Promise.allSettled(Array.from({ length: 64 }, (_, i) => image.read(new Uint8Array(1 << 20), i << 20)));
    await server.stop();
    const results = await reads;
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ImageError);
    }
    expect(results.some((r) => r.status === "rejected")).toBe(true);
    await expectImageError(image.read(new Uint8Array(512), 0), /127\.0\.0\.1:\d+: the connection was lost \(the server .*\) and reconnecting failed, so the disk must be attached again: (connection refused|the server reset)/);
  });

  it("gives up on a hung server after timeoutMs", async () => {
    const server = await startNbdkit(["memory", "64M"]);
    const image = await open(server.port, false, { timeoutMs: 300 });
    process.kill(-server.child.pid!, "SIGSTOP");
    cleanups.push(() => void process.kill(-server.child.pid!, "SIGCONT"));
    // A stop takes effect when the signal is delivered: until then nbdkit could still answer.
    await stopped(server.child.pid!);
    await expectImageError(image.read(new Uint8Array(512), 0), /no reply for 300 ms; the server seems hung\) and reconnecting failed, .*: no NBD handshake within 300 ms/);
  });
});

// ---- Fake servers ----

describe("NBD image against misbehaving servers", () => {
  it("refuses targets that are not HOST:PORT", async () => {
    for (const t of ["localhost", "127.0.0.1:0", "127.0.0.1:99999", "::1:10809", "[::1]"]) {
      await expectImageError(openNbdImage(t, false), /is not HOST:PORT/);
    }
  });

  it("says so when nothing listens", async () => {
    const port = await freePort();
    await expectImageError(openNbdImage(`127.0.0.1:${port}`, false), new RegExp(`127\\.0\\.0\\.1:${port}: connection refused; is the NBD server running`));
  });

  it("fails to open, with ImageError, whatever garbage the server sends", async () => {
    const cases: [(s: net.Socket) => void, RegExp][] = [
      [(s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"), /not an NBD server: it sent "HTTP\/1.1" instead of "NBDMAGIC"/],
      [(s) => s.end(), /server closed the connection/],
      [(s) => { const g = greeting(); g.writeBigUInt64BE(0x1234n, 8); s.write(g); }, /bad handshake magic 0x1234/],
      [(s) => { const g = greeting(); g.writeBigUInt64BE(0x00420281861253n, 8); s.write(g); }, /oldstyle/],
      [(s) => s.write(Buffer.concat([greeting(), optionReply(OPT_GO, REP_INFO, Buffer.alloc(MAX_OPTION_REPLY + 1))])), /option reply of 65537 bytes/],
      [(s) => s.write(Buffer.concat([greeting(), Buffer.alloc(64, 0x55)])), /bad option reply magic/],
      [(s) => s.write(Buffer.concat([greeting(), optionReply(OPT_ABORT, REP_ACK)])), /reply to option 2, which was not sent/],
      [(s) => s.write(Buffer.concat([greeting(), optionReply(OPT_GO, REP_ACK)])), /acknowledged without NBD_INFO_EXPORT/],
      [(s) => s.write(Buffer.concat([greeting(), optionReply(OPT_GO, REP_INFO, Buffer.from([0, 0, 1, 2])), optionReply(OPT_GO, REP_ACK)])), /NBD_INFO_EXPORT of 4 bytes/],
      [(s) => s.write(Buffer.concat([greeting(), optionReply(OPT_GO, REP_INFO, exportInfo(4096, FLAG_HAS_FLAGS)), optionReply(OPT_GO, REP_ACK), Buffer.from("extra")])), /data after the handshake/],
    ];
    for (const [behave, message] of cases) {
      const port = await fakeServer(behave);
      const e = await expectImageError(openNbdImage(`127.0.0.1:${port}`, false, { timeoutMs: 2000 }), message);
      expect(e.message).toContain(`127.0.0.1:${port}`);
    }
  });

  it("stops reading a server that streams endless bytes", async () => {
    const port = await fakeServer((s) => {
      s.write(greeting());
      const header = optionReply(OPT_GO, REP_INFO).subarray(0, 20);
      header.writeUInt32BE(0xffff_ffff, 16);
      s.write(header);
      const junk = Buffer.alloc(1 << 16);
      const pump = () => { while (!s.destroyed && s.write(junk)); };
      s.on("drain", pump);
      pump();
    });
    await expectImageError(openNbdImage(`127.0.0.1:${port}`, false), /option reply of 4294967295 bytes/);
  });

  it("gives up on a server that never greets after timeoutMs", async () => {
    const port = await fakeServer(() => {});
    await expectImageError(openNbdImage(`127.0.0.1:${port}`, false, { timeoutMs: 200 }), /no NBD handshake within 200 ms/);
  });

  it("explains a refused export", async () => {
    const port = await fakeServer(async (s) => {
      const take = reader(s);
      s.write(greeting());
      await take(4 + 16);
      s.write(optionReply(OPT_GO, REP_ERR_UNKNOWN, Buffer.from("no export \"nope\"\n")));
    });
    await expectImageError(openNbdImage(`127.0.0.1:${port}`, false, { exportName: "nope" }),
      /refused export "nope": NBD_REP_ERR_UNKNOWN \(no such export\): "no export "nope""; check the export name/);
  });

  it("falls back to NBD_OPT_EXPORT_NAME when NBD_OPT_GO is not supported", async () => {
    const disk = randomBytes(64 * 1024);
    const { port, requests } = await fakeNbdServer(disk, { noGo: true, flags: FLAG_HAS_FLAGS | FLAG_READ_ONLY });
    const image = await open(port);
    expect(image.sizeBytes).toBe(disk.length);
    expect(image.readOnly).toBe(true);
    const got = new Uint8Array(1000);
    await image.read(got, 5);
    expect(Buffer.from(got).equals(disk.subarray(5, 1005))).toBe(true);
    await image.flush(); // no NBD_FLAG_SEND_FLUSH: nothing is sent
    expect(requests.map((r) => r.command)).toEqual([CMD_READ]);
  });

  it("splits requests at the advertised maximum block size and checks the minimum", async () => {
    const disk = new Uint8Array(1 << 20);
    const { port, requests } = await fakeNbdServer(disk, { blockSizes: [512, 4096, 8192] });
    const image = await open(port);
    const data = randomBytes(20 * 1024);
    await image.write(data, 4096);
    expect(requests.map((r) => [r.offset, r.length])).toEqual([[4096, 8192], [12288, 8192], [20480, 4096]]);
    expect(Buffer.from(disk.subarray(4096, 4096 + data.length)).equals(data)).toBe(true);
    await expectImageError(image.read(new Uint8Array(512), 100), /not aligned to the server's minimum block size of 512/);
  });

  it("rejects only the request the server fails, naming the errno", async () => {
    const disk = new Uint8Array(1 << 20);
    const { port } = await fakeNbdServer(disk, { decide: (r) => (r.offset === 8192 ? (r.command === CMD_WRITE ? 28 : 5) : undefined) });
    const image = await open(port);
    const [a, b, c] = await Promise.allSettled([
      image.write(new Uint8Array(512).fill(1), 0),
      image.write(new Uint8Array(512), 8192),
      image.read(new Uint8Array(512), 8192),
    ]);
    expect(a.status).toBe("fulfilled");
    expect((b as PromiseRejectedResult).reason.message).toMatch(/write of 512 bytes at offset 8192 failed: the server answered ENOSPC/);
    expect((c as PromiseRejectedResult).reason.message).toMatch(/read of 512 bytes at offset 8192 failed: the server answered EIO/);
    const got = new Uint8Array(512);
    await image.read(got, 0);
    expect(got.every((x) => x === 1)).toBe(true);
  });

  it("hangs up on a reply for an unknown handle, then recovers on a new connection", async () => {
    const disk = randomBytes(1 << 16);
    const { port, requests } = await fakeNbdServer(disk, { decide: (r) => (r.connection === 0 ? "wrong-handle" : undefined) });
    const image = await open(port);
    const got = new Uint8Array(4096);
    await image.read(got, 0);
    expect(Buffer.from(got).equals(disk.subarray(0, 4096))).toBe(true);
    expect(requests.map((r) => r.connection)).toEqual([0, 1]);
  });

  it("resends unanswered requests once after a drop, and no more", async () => {
    const disk = randomBytes(1 << 16);
    const { port, requests } = await fakeNbdServer(disk, { decide: (r) => (r.offset === 0 && r.connection < 2 ? "drop" : undefined) });
    const image = await open(port);
    await expectImageError(image.read(new Uint8Array(512), 0), /read of 512 bytes at offset 0 failed: the connection dropped twice/);
    const got = new Uint8Array(512);
    await image.read(got, 512); // on the third connection
    expect(Buffer.from(got).equals(disk.subarray(512, 1024))).toBe(true);
    expect(requests.map((r) => [r.connection, r.offset])).toEqual([[0, 0], [1, 0], [2, 512]]);
  });

  it("rejects a read whose reply is cut short, twice, naming the cause", async () => {
    const disk = randomBytes(1 << 16);
    const { port } = await fakeNbdServer(disk, { decide: (r) => (r.offset === 0 ? "truncate" : undefined) });
    const image = await open(port);
    await expectImageError(image.read(new Uint8Array(4096), 0),
      /read of 4096 bytes at offset 0 failed: the connection dropped twice before an answer \(the server closed the connection in the middle of a message\)/);
  });

  it("after ESHUTDOWN, disconnects softly and carries on with a new connection", async () => {
    const disk = randomBytes(1 << 16);
    const { port, requests } = await fakeNbdServer(disk, { decide: (r) => (r.connection === 0 && r.offset === 0 ? 108 : undefined) });
    const image = await open(port);
    await expectImageError(image.read(new Uint8Array(512), 0), /ESHUTDOWN/);
    const got = new Uint8Array(512);
    await image.read(got, 1024);
    expect(Buffer.from(got).equals(disk.subarray(1024, 1536))).toBe(true);
    expect(requests.map((r) => r.connection)).toEqual([0, 1]);
  });

  it("refuses requests once closed", async () => {
    const { port } = await fakeNbdServer(new Uint8Array(4096));
    const image = await openNbdImage(`127.0.0.1:${port}`, false);
    const pending = image.read(new Uint8Array(512), 0);
    await image.close();
    await pending; // finished before the goodbye
    await expectImageError(image.read(new Uint8Array(512), 0), /closed/);
  });
});

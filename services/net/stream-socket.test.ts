import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bridge } from "./bridge.js";
import { newCounters, type Port } from "./port.js";
import {
  MAX_STREAM_FRAME, StreamDecoder, StreamFrameError, StreamListener, attachStream, streamFrameHeader,
} from "./stream-socket.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-stream-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function encode(frames: Uint8Array[]): Uint8Array {
  return Buffer.concat(frames.flatMap((f) => [streamFrameHeader(f.length), f]));
}

/** Cuts bytes at the given points (any order, duplicates allowed). */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}

describe("stream framing", () => {
  it("yields the same frames however the stream is chunked", () => {
    const frames = fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { maxLength: 20 });
    fc.assert(fc.property(frames, fc.array(fc.nat(), { maxLength: 40 }), (sent, points) => {
      const decoder = new StreamDecoder();
      const got = cut(encode(sent), points).flatMap((c) => decoder.push(c));
      expect(got.map((f) => Buffer.from(f))).toEqual(sent.map((f) => Buffer.from(f)));
      expect(decoder.buffered).toBe(0);
    }));
  });

  it("carries the largest frame, split anywhere", () => {
    const big = new Uint8Array(MAX_STREAM_FRAME).map((_, i) => i);
    fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 5 }), (points) => {
      const decoder = new StreamDecoder();
      const got = cut(encode([big]), points).flatMap((c) => decoder.push(c));
      expect(got).toHaveLength(1);
      expect(Buffer.from(got[0]).equals(Buffer.from(big))).toBe(true);
    }), { numRuns: 20 });
  });

  it("refuses a length of 0 or above 65535 with a StreamFrameError", () => {
    for (const length of [0, MAX_STREAM_FRAME + 1, 0xffff_ffff]) {
      expect(() => new StreamDecoder().push(streamFrameHeader(length))).toThrow(
        new StreamFrameError(`a frame length of ${length} (allowed 1 to 65535)`),
      );
    }
  });

  it("meets garbage with frames or a StreamFrameError, and never holds more than one frame", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200_000 }), fc.array(fc.nat(), { maxLength: 30 }), (bytes, points) => {
      const decoder = new StreamDecoder();
      try {
        for (const c of cut(bytes, points)) {
          decoder.push(c);
          expect(decoder.buffered).toBeLessThanOrEqual(MAX_STREAM_FRAME);
        }
      } catch (e) {
        expect(e).toBeInstanceOf(StreamFrameError);
      }
    }), { numRuns: 200 });
  });
});

/** A client speaking the stream framing, as QEMU would. */
class Client {
  readonly frames: Uint8Array[] = [];
  private readonly decoder = new StreamDecoder();
  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => this.frames.push(...this.decoder.push(d)));
  }
  static open(path: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once("connect", () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }
  send(frame: Uint8Array): void {
    this.socket.write(encode([frame]));
  }
  get closed(): Promise<void> {
    return new Promise((resolve) => (this.socket.destroyed ? resolve() : this.socket.once("close", () => resolve())));
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !ok();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function ethernet(dst: number, src: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0x00, 0x16, 0x3e, 0, 0, dst], 0);
  f.set([0x00, 0x16, 0x3e, 0, 0, src], 6);
  if (dst === 0xff) f.fill(0xff, 0, 6);
  return f;
}

describe("stream listener", () => {
  it("makes each client a port sock<n> and switches frames between them", async () => {
    const bridge = new Bridge("xenbr0");
    const path = join(dir, "switch.sock");
    const listener = await StreamListener.listen(bridge, path);
    const a = await Client.open(path);
    const b = await Client.open(path);
    await until("both are ports", () => bridge.show().interfaces.length === 2);
    expect(bridge.show().interfaces).toEqual(["sock0", "sock1"]);
    a.send(ethernet(0xff, 1));
    b.send(ethernet(1, 2, 1514));
    await until("frames crossed", () => a.frames.length === 1 && b.frames.length === 1);
    expect(a.frames[0].length).toBe(1514);
    expect(bridge.port("sock0")!.counters).toMatchObject({ rxPackets: 1, rxBytes: 60, txPackets: 1, txBytes: 1514 });
    a.socket.destroy();
    await until("a left", () => bridge.show().interfaces.length === 1);
    await listener.close();
    await b.closed;
    expect(bridge.show().interfaces).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });

  it("drops a client that sends a bad length, counting an error, and serves the others on", async () => {
    const bridge = new Bridge("xenbr0");
    const path = join(dir, "garbage.sock");
    const logs: string[] = [];
    const listener = await StreamListener.listen(bridge, path, { log: (m) => logs.push(m) });
    const good = await Client.open(path);
    const bad = await Client.open(path);
    await until("both are ports", () => bridge.show().interfaces.length === 2);
    const badPort = bridge.port("sock1")!;
    bad.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await bad.closed;
    expect(badPort.counters.rxErrors).toBe(1);
    expect(bridge.show().interfaces).toEqual(["sock0"]);
    expect(logs).toContain("sock1 dropped from xenbr0: a frame length of 4294967295 (allowed 1 to 65535)");
    // The bridge goes on: a third client reaches the first.
    const third = await Client.open(path);
    await until("third is a port", () => bridge.show().interfaces.length === 2);
    third.send(ethernet(0xff, 3));
    await until("good got it", () => good.frames.length === 1);
    await listener.close();
  });

  it("replaces a stale socket file, and refuses a path another process serves", async () => {
    const path = join(dir, "stale.sock");
    await writeFile(path, "");
    const listener = await StreamListener.listen(new Bridge("xenbr0"), path);
    await expect(StreamListener.listen(new Bridge("xenbr1"), path)).rejects.toThrow(`another process is already serving ${path}`);
    await listener.close();
  });

  it("refuses a socket path too long for a Unix socket, rather than listen on a shorter one", async () => {
    const path = join(dir, `${"x".repeat(110)}.sock`);
    await expect(StreamListener.listen(new Bridge("xenbr0"), path)).rejects.toThrow(/is longer than 107 bytes/);
  });
});

describe("stream port", () => {
  it("drops frames for a peer that does not read, instead of queueing them without bound", async () => {
    const bridge = new Bridge("xenbr0");
    const path = join(dir, "slow.sock");
    const server = createServer((s) => attachStream(bridge, "slow", s, { maxQueueBytes: 64 * 1024 }));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const slow = await Client.open(path);
    slow.socket.pause();
    await until("slow is a port", () => bridge.port("slow") !== undefined);
    const sender: Port = { name: "fast", counters: newCounters(), deliver: () => {} };
    const link = bridge.attach(sender);
    const count = 2000;
    for (let i = 0; i < count; i++) link.input(ethernet(0xff, 1, 1500));
    const counters = bridge.port("slow")!.counters;
    expect(counters.txDropped).toBeGreaterThan(0);
    expect(counters.txPackets + counters.txDropped).toBe(count);
    // Everything counted as sent does arrive once the peer reads again.
    slow.socket.resume();
    await until("the queue drained", () => slow.frames.length === counters.txPackets);
    slow.socket.destroy();
    await until("slow left", () => bridge.port("slow") === undefined);
    link.input(ethernet(0xff, 1, 1500));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

// Ethernet frames over a byte stream, as QEMU's `-netdev stream` (and the older `-netdev socket`)
// and passt carry them: each frame after its length, 4 bytes big-endian. A bridge port over a
// connected socket, and a listener that makes a port of every client of a Unix socket.

import { mkdir, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { listening } from "../../tools/lib/frame-server.js";
import { writeBatched } from "../../kernel/host/socket-batch.js";
import { ByteQueue } from "../common/byte-queue.js";
import type { Bridge, BridgeLink } from "./bridge.js";
import { newCounters, type Port } from "./port.js";

const HEADER = 4;
/** The largest length the framing allows (QEMU's NET_BUFSIZE-bound receive limit). */
export const MAX_STREAM_FRAME = 65535;
/** Bytes a port may have waiting for a slow peer before it drops frames: ~170 full frames. */
export const DEFAULT_MAX_QUEUE_BYTES = 256 * 1024;

/** The stream cannot be followed any further: the connection must be closed. */
export class StreamFrameError extends Error {
  override name = "StreamFrameError";
}

export function streamFrameHeader(length: number): Uint8Array {
  const b = new Uint8Array(HEADER);
  new DataView(b.buffer).setUint32(0, length);
  return b;
}

/**
 * Cuts a byte stream into frames, however it is chunked. It holds at most one frame in progress:
 * a length of 0 or above MAX_STREAM_FRAME throws StreamFrameError instead of waiting for it.
 */
export class StreamDecoder {
  private readonly queue = new ByteQueue();
  /** The length of the frame in progress, once its header is complete. */
  private need: number | undefined;

  /** Bytes held for an incomplete header or frame. */
  get buffered(): number {
    return this.queue.length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    this.queue.push(chunk);
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.need === undefined) {
        if (this.queue.length < HEADER) return frames;
        const length = this.queue.peekUint(0, HEADER);
        this.queue.take(HEADER);
        if (length === 0 || length > MAX_STREAM_FRAME) {
          throw new StreamFrameError(`a frame length of ${length} (allowed 1 to ${MAX_STREAM_FRAME})`);
        }
        this.need = length;
      }
      if (this.queue.length < this.need) return frames;
      frames.push(this.queue.take(this.need));
      this.need = undefined;
    }
  }
}

export interface StreamPortOptions {
  readonly maxQueueBytes?: number;
}

/** A bridge port over a connected stream socket. */
export class StreamPort implements Port {
  readonly counters = newCounters();
  private readonly decoder = new StreamDecoder();
  private readonly maxQueueBytes: number;
  private frameHandler: (frame: Uint8Array) => void = () => {};
  private readonly closeHandlers: ((why: Error | undefined) => void)[] = [];
  private why: Error | undefined;
  private closed = false;

  constructor(readonly name: string, private readonly socket: Socket, opts: StreamPortOptions = {}) {
    this.maxQueueBytes = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    // A reset peer is just a closed port; "close" follows every error.
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      for (const h of this.closeHandlers.splice(0)) h(this.why);
    });
  }

  /** Frames from the peer. Replaces any earlier handler. */
  onFrame(handler: (frame: Uint8Array) => void): void {
    this.frameHandler = handler;
  }

  /** Called once the connection is gone, with the framing error that ended it, if any. */
  onClose(handler: (why: Error | undefined) => void): void {
    if (this.closed) handler(this.why);
    else this.closeHandlers.push(handler);
  }

  deliver(frame: Uint8Array): void {
    // Dropping when the peer does not keep up bounds memory, as a full tx queue does in Linux.
    if (!this.socket.writable || this.socket.writableLength + HEADER + frame.length > this.maxQueueBytes) {
      this.counters.txDropped++;
      return;
    }
    writeBatched(this.socket, streamFrameHeader(frame.length), frame);
    this.counters.txPackets++;
    this.counters.txBytes += frame.length;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      // The decoder throws only StreamFrameError. The rest of the stream cannot be framed
      // again: end this connection only.
      this.counters.rxErrors++;
      this.why = e as StreamFrameError;
      this.socket.destroy();
      return;
    }
    for (const f of frames) this.frameHandler(f);
  }
}

export interface AttachOptions extends StreamPortOptions {
  /** Frames from the peer that the bridge should see; the others count as rxDropped. */
  readonly accept?: (frame: Uint8Array) => boolean;
}

/** Makes a port of a connected socket on a bridge; it leaves the bridge when the socket closes. */
export function attachStream(bridge: Bridge, name: string, socket: Socket, opts: AttachOptions = {}): StreamPort {
  const port = new StreamPort(name, socket, opts);
  let link: BridgeLink;
  try {
    link = bridge.attach(port);
  } catch (e) {
    socket.destroy();
    throw e;
  }
  const accept = opts.accept;
  port.onFrame(accept === undefined ? (frame) => link.input(frame) : (frame) => {
    if (accept(frame)) link.input(frame);
    else port.counters.rxDropped++;
  });
  port.onClose(() => link.detach());
  return port;
}

export interface StreamListenerOptions extends StreamPortOptions {
  /** Told when a client connects, leaves, or is dropped for bad framing. */
  readonly log?: (msg: string) => void;
}

/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/**
 * Refuses a Unix socket path too long for sun_path: Node (and passt) would quietly use the path
 * cut short, and clients would find nothing at the one they were given.
 */
export function checkSocketPath(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new Error(`the socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter DOMUS_HOME or run directory`);
  }
}

/**
 * A Unix socket (e.g. DOMUS_HOME/run/net/<bridge>.sock) where QEMU-style clients plug into a
 * bridge, each as a port sock<n>: `qemu -netdev stream,addr.type=unix,addr.path=...`.
 */
export class StreamListener {
  private readonly ports = new Set<StreamPort>();
  private next = 0;

  private constructor(private readonly server: Server, readonly path: string) {}

  static async listen(bridge: Bridge, path: string, opts: StreamListenerOptions = {}): Promise<StreamListener> {
    const log = opts.log ?? (() => {});
    checkSocketPath(path);
    // Whoever can connect is on the bridge's segment: keep a new run directory to its owner.
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    if (await listening(path)) throw new Error(`another process is already serving ${path}`);
    // A socket file left by a process that died.
    await rm(path, { force: true });
    const server = createServer();
    const listener = new StreamListener(server, path);
    server.on("connection", (socket) => {
      const name = `sock${listener.next++}`;
      let port: StreamPort;
      try {
        port = attachStream(bridge, name, socket, opts);
      } catch (e) {
        log(`refused a client of ${bridge.name}: ${(e as Error).message}`);
        return;
      }
      listener.ports.add(port);
      log(`${name} connected to ${bridge.name}`);
      port.onClose((why) => {
        listener.ports.delete(port);
        log(why === undefined ? `${name} left ${bridge.name}` : `${name} dropped from ${bridge.name}: ${why.message}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => { server.off("error", reject); resolve(); });
    });
    return listener;
  }

  /** Stops accepting, disconnects every client (they leave the bridge) and removes the socket. */
  async close(): Promise<void> {
    const left = [...this.ports].map((p) => new Promise<void>((resolve) => {
      p.onClose(() => resolve());
      p.close();
    }));
    await Promise.all([...left, new Promise((resolve) => this.server.close(resolve))]);
  }
}

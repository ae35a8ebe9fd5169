// A disk image served by an NBD server (nbd-server, nbdkit, qemu-nbd) over TCP.
//
// One connection carries many requests at once, matched to their replies by handle. If the
// connection drops, the image reconnects once and resends the requests that had no answer (NBD
// reads and writes can be repeated safely); if that fails, the image is broken and every pending
// and later request rejects with an ImageError, so the block service can report it and reopen.

import { Buffer } from "node:buffer";
import net from "node:net";
import { ImageError, type BlockImage } from "../image.js";
import {
  ByteQueue, CMD_DISC, CMD_FLUSH, CMD_READ, CMD_WRITE, DEFAULT_MAX_REQUEST, ESHUTDOWN, FLAG_C_FIXED_NEWSTYLE,
  FLAG_C_NO_ZEROES, FLAG_FIXED_NEWSTYLE, FLAG_HAS_FLAGS, FLAG_NO_ZEROES, FLAG_READ_ONLY, FLAG_SEND_FLUSH,
  INFO_BLOCK_SIZE, INFO_EXPORT, MAX_STRING, OPT_ABORT, OPT_EXPORT_NAME, OPT_GO, REP_ACK, REP_ERR_UNKNOWN,
  REP_ERR_UNSUP, REP_INFO, WireError, decodeGreeting, decodeOptionReply, describeReplyError, encodeClientFlags,
  encodeGoData, encodeOption, encodeRequest, errnoName, exportNameReplyDecoder, isReplyError, parseInfo,
  simpleReplyDecoder, type Decoder, type ExportInfo,
} from "./nbd-wire.js";

export interface NbdOptions {
  /** The export to attach; "" (the default) asks for the server's default export. */
  exportName?: string;
  /** How long connecting and the handshake may take, and how long the server may stall while requests wait. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const NO_DATA = new Uint8Array(0);
const COMMAND_NAMES: Record<number, string> = { [CMD_READ]: "read", [CMD_WRITE]: "write", [CMD_FLUSH]: "flush" };

/** Attach the NBD export at `target` ("HOST:PORT", "[IPv6]:PORT"); read-only if asked or if the server says so. */
export async function openNbdImage(target: string, readOnly: boolean, options: NbdOptions = {}): Promise<BlockImage> {
  const endpoint = parseTarget(target);
  const exportName = options.exportName ?? "";
  if (Buffer.byteLength(exportName) > MAX_STRING) throw new ImageError(`NBD export name for ${target} is longer than ${MAX_STRING} bytes`);
  const dial = () => Connection.open(endpoint, exportName, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let first: Connection;
  try {
    first = await dial();
  } catch (e) {
    throw new ImageError(`cannot attach NBD export ${quoteExport(exportName)} at ${target}: ${(e as Error).message}`);
  }
  return new NbdImage(target, readOnly || first.readOnly, first, dial);
}

interface Endpoint {
  /** As the user wrote it, for messages. */
  target: string;
  host: string;
  port: number;
}

function parseTarget(target: string): Endpoint {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(target);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new ImageError(`NBD target "${target}" is not HOST:PORT (for example 127.0.0.1:10809, nbd.example:10809 or [::1]:10809)`);
  }
  return { target, host: m[1] ?? m[2], port };
}

function quoteExport(name: string): string {
  return name === "" ? "(default)" : JSON.stringify(name);
}

/** One NBD command: a piece of a read or write (never over the server's limit), or a flush. */
interface Request {
  readonly command: number;
  readonly offset: number;
  /** A read fills it from the reply; a write sends it; a flush has none. */
  readonly data: Uint8Array;
  /** How many connections it has been sent on: after a drop it is resent only once. */
  sends: number;
  resolve(): void;
  reject(e: Error): void;
}

function requestError(target: string, req: Request, what: string): ImageError {
  const size = req.command === CMD_FLUSH ? "" : ` of ${req.data.length} bytes at offset ${req.offset}`;
  return new ImageError(`NBD server ${target}: ${COMMAND_NAMES[req.command]}${size} failed: ${what}`);
}

/** Why a connection ended, and the requests it leaves unanswered. */
interface Loss {
  reason: string;
  unanswered: Request[];
}

class NbdImage implements BlockImage {
  readonly format = "nbd";
  readonly sizeBytes: number;
  private readonly sendsFlush: boolean;
  private readonly minBlock: number;
  private readonly maxRequest: number;
  /** Where requests go; undefined after a drop until a reconnect succeeds. */
  private conn: Connection | undefined;
  private reconnecting = false;
  private lastLoss = "";
  /** Requests waiting for a connection: new ones during a reconnect, unanswered ones after a drop. */
  private waiting: Request[] = [];
  /** Set once reconnecting has failed or the image is closed: every request rejects with it. */
  private broken: ImageError | undefined;
  private closing = false;
  private readonly outstanding = new Set<Promise<void>>();
  // Writes the server acknowledged, and how many of those completed flushes cover. Writes
  // acknowledged but not flushed when the connection drops may be lost with the server's cache;
  // the next flush says so rather than pretend they are durable.
  private writesAcked = 0;
  private writesFlushed = 0;
  private writesMayBeLost = false;

  constructor(
    readonly path: string,
    readonly readOnly: boolean,
    first: Connection,
    private readonly dial: () => Promise<Connection>,
  ) {
    this.sizeBytes = first.sizeBytes;
    this.sendsFlush = first.sendsFlush;
    this.minBlock = first.minBlock;
    this.maxRequest = first.maxRequest;
    this.use(first);
  }

  read(buf: Uint8Array, offset: number): Promise<void> {
    return this.transfer(CMD_READ, buf, offset);
  }

  write(buf: Uint8Array, offset: number): Promise<void> {
    if (this.readOnly) return Promise.reject(this.error(`write at offset ${offset} refused: the image is read-only`));
    return this.transfer(CMD_WRITE, buf, offset);
  }

  async flush(): Promise<void> {
    // Without NBD_FLAG_SEND_FLUSH the server has no cache to flush (or will not say), and
    // NBD_CMD_FLUSH is forbidden.
    if (!this.sendsFlush) return;
    const covers = this.writesAcked;
    await this.submit(CMD_FLUSH, 0, NO_DATA);
    this.writesFlushed = Math.max(this.writesFlushed, covers);
  }

  /** Lets outstanding requests finish, then says goodbye to the server (NBD_CMD_DISC). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled(this.outstanding);
    this.broken = this.error("the image is closed");
    await this.conn?.disconnect();
  }

  private async transfer(command: number, buf: Uint8Array, offset: number): Promise<void> {
    if (offset % this.minBlock !== 0 || buf.length % this.minBlock !== 0) {
      throw this.error(`${COMMAND_NAMES[command]} of ${buf.length} bytes at offset ${offset} is not aligned to the server's minimum block size of ${this.minBlock} bytes`);
    }
    const pieces: Promise<void>[] = [];
    for (let done = 0; done < buf.length; done += this.maxRequest) {
      pieces.push(this.submit(command, offset + done, buf.subarray(done, done + this.maxRequest)));
    }
    await Promise.all(pieces);
  }

  private submit(command: number, offset: number, data: Uint8Array): Promise<void> {
    if (this.closing) return Promise.reject(this.error(`${COMMAND_NAMES[command]} refused: the image is closed`));
    const done = new Promise<void>((resolve, reject) => {
      const succeed = command === CMD_WRITE ? () => { this.writesAcked++; resolve(); } : resolve;
      this.dispatch({ command, offset, data, sends: 0, resolve: succeed, reject });
    });
    this.outstanding.add(done);
    const forget = () => this.outstanding.delete(done);
    done.then(forget, forget);
    return done;
  }

  /** Sends a request if the connection is up; otherwise it waits for the reconnect. */
  private dispatch(req: Request): void {
    if (this.broken) return req.reject(this.broken);
    if (req.command === CMD_FLUSH && this.writesMayBeLost) {
      this.writesMayBeLost = false;
      this.writesFlushed = this.writesAcked;
      return req.reject(requestError(this.path, req, "EIO: the connection dropped while the server held acknowledged but unflushed writes; they may be lost"));
    }
    if (this.conn?.usable) {
      req.sends++;
      this.conn.send(req);
      return;
    }
    this.waiting.push(req);
    // A connection that dropped while idle is replaced on demand; one still draining (after
    // ESHUTDOWN) is replaced when it has gone.
    if (this.conn === undefined && !this.reconnecting) this.reconnect();
  }

  private use(conn: Connection): void {
    this.conn = conn;
    void conn.lost.then((loss) => this.connectionLost(loss));
  }

  private connectionLost({ reason, unanswered }: Loss): void {
    this.conn = undefined;
    this.lastLoss = reason;
    if (this.sendsFlush && this.writesAcked > this.writesFlushed) this.writesMayBeLost = true;
    const resend: Request[] = [];
    for (const req of unanswered) {
      if (this.broken) req.reject(this.broken);
      else if (req.sends >= 2) req.reject(requestError(this.path, req, `the connection dropped twice before an answer (${reason})`));
      else resend.push(req);
    }
    this.waiting.unshift(...resend);
    if (this.waiting.length > 0) this.reconnect();
  }

  /** One attempt per drop. The export must look as before, or it is not the same disk. */
  private reconnect(): void {
    this.reconnecting = true;
    this.dial()
      .then((conn) => {
        const same = conn.sizeBytes === this.sizeBytes && (this.readOnly || !conn.readOnly) && conn.sendsFlush === this.sendsFlush
          && conn.minBlock === this.minBlock && conn.maxRequest === this.maxRequest;
        if (!same) {
          void conn.disconnect();
          throw new Error("the export changed its size, read-only flag, flush support or block sizes");
        }
        this.use(conn);
      })
      .catch((e: Error) => {
        this.broken = this.error(`the connection was lost (${this.lastLoss}) and reconnecting failed, so the disk must be attached again: ${e.message}`);
      })
      .finally(() => {
        this.reconnecting = false;
        const queued = this.waiting;
        this.waiting = [];
        for (const req of queued) this.dispatch(req);
      });
  }

  private error(what: string): ImageError {
    return new ImageError(`NBD server ${this.path}: ${what}`);
  }
}

/** The server refused an option; the connection ends with a soft disconnect (NBD_OPT_ABORT). */
class Refusal extends Error {}

/** One TCP connection to the server, from the handshake to the end of transmission. */
class Connection {
  /** Resolves (never rejects) when the socket has closed, for whatever reason. */
  readonly lost: Promise<Loss>;
  /** False once the connection is going away: it takes no more requests. */
  usable = true;
  sizeBytes = 0;
  readOnly = false;
  sendsFlush = false;
  /** Reads and writes are multiples of this, at multiples of it (NBD_INFO_BLOCK_SIZE). */
  minBlock = 1;
  /** The most bytes one read or write request may carry. */
  maxRequest = DEFAULT_MAX_REQUEST;

  private readonly input = new ByteQueue();
  /** During the handshake: the message the handshake code awaits. */
  private waiter: { decode: Decoder<unknown>; resolve(v: unknown): void; reject(e: Error): void } | undefined;
  private transmitting = false;
  private readonly pending = new Map<bigint, Request>();
  private nextHandle = 1n;
  /** The first thing that went wrong: what the loss reports. */
  private failure: string | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  private constructor(
    private readonly endpoint: Endpoint,
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    this.lost = new Promise((resolve) => {
      socket.on("close", () => {
        clearTimeout(this.watchdog);
        this.usable = false;
        const reason = this.failure ?? (this.input.length > 0 ? "the server closed the connection in the middle of a message" : "the server closed the connection");
        this.waiter?.reject(new Error(reason));
        this.waiter = undefined;
        const unanswered = [...this.pending.values()];
        this.pending.clear();
        resolve({ reason, unanswered });
      });
    });
    socket.on("error", (e: NodeJS.ErrnoException) => this.failure ??= describeSocketError(e));
    socket.on("data", (chunk: Buffer) => this.received(chunk));
  }

  /** Connects and negotiates; rejects with an Error saying what went wrong and what to do. */
  static async open(endpoint: Endpoint, exportName: string, timeoutMs: number): Promise<Connection> {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true });
    const conn = new Connection(endpoint, socket, timeoutMs);
    const timer = setTimeout(() => conn.hangUp(`no NBD handshake within ${timeoutMs} ms; is it an NBD server, and is it responsive?`), timeoutMs);
    try {
      await conn.handshake(exportName);
      // Nothing may follow the handshake before the first request.
      if (conn.input.length > 0) throw new WireError("the server sent data after the handshake, before any request");
      conn.transmitting = true;
      return conn;
    } catch (e) {
      const reason = e instanceof WireError ? `protocol error during the handshake: ${e.message}` : (e as Error).message;
      conn.hangUp(reason, e instanceof Refusal ? encodeOption(OPT_ABORT, NO_DATA) : undefined);
      throw new Error(conn.failure);
    } finally {
      clearTimeout(timer);
    }
  }

  private async handshake(exportName: string): Promise<void> {
    const { handshakeFlags } = await this.receive(decodeGreeting);
    const noZeroes = (handshakeFlags & FLAG_NO_ZEROES) !== 0;
    const fixed = (handshakeFlags & FLAG_FIXED_NEWSTYLE) !== 0;
    this.socket.write(encodeClientFlags((fixed ? FLAG_C_FIXED_NEWSTYLE : 0) | (noZeroes ? FLAG_C_NO_ZEROES : 0)));
    // A server without fixed newstyle understands NBD_OPT_EXPORT_NAME only.
    const info = (fixed && (await this.go(exportName))) || (await this.exportName(exportName, noZeroes));
    this.sizeBytes = info.sizeBytes;
    // Without HAS_FLAGS the other bits mean nothing.
    const flags = info.transmissionFlags & FLAG_HAS_FLAGS ? info.transmissionFlags : 0;
    this.readOnly = (flags & FLAG_READ_ONLY) !== 0;
    this.sendsFlush = (flags & FLAG_SEND_FLUSH) !== 0;
  }

  /** NBD_OPT_GO; undefined if the server does not know it (then NBD_OPT_EXPORT_NAME will do). */
  private async go(exportName: string): Promise<ExportInfo | undefined> {
    // Asking for block sizes promises to honour them: the image splits and checks alignment.
    this.socket.write(encodeOption(OPT_GO, encodeGoData(exportName, [INFO_EXPORT, INFO_BLOCK_SIZE])));
    let info: ExportInfo | undefined;
    for (;;) {
      const reply = await this.receive(decodeOptionReply);
      if (reply.option !== OPT_GO) throw new WireError(`reply to option ${reply.option}, which was not sent`);
      if (reply.type === REP_ERR_UNSUP) return undefined;
      if (isReplyError(reply.type)) {
        const advice = reply.type === REP_ERR_UNKNOWN ? "; check the export name" : "";
        throw new Refusal(`the server refused export ${quoteExport(exportName)}: ${describeReplyError(reply)}${advice}`);
      }
      if (reply.type === REP_ACK) {
        if (!info) throw new WireError("NBD_OPT_GO acknowledged without NBD_INFO_EXPORT");
        return info;
      }
      if (reply.type !== REP_INFO) throw new WireError(`unexpected reply type ${reply.type} to NBD_OPT_GO`);
      const item = parseInfo(reply.data);
      if (item.type === "export") info = item;
      if (item.type === "block-size") {
        this.minBlock = item.minimum;
        // The largest multiple of the minimum within both the server's limit and ours.
        const limit = Math.min(item.maximum, DEFAULT_MAX_REQUEST);
        this.maxRequest = limit - (limit % item.minimum);
      }
    }
  }

  private async exportName(exportName: string, noZeroes: boolean): Promise<ExportInfo> {
    this.socket.write(encodeOption(OPT_EXPORT_NAME, Buffer.from(exportName, "utf8")));
    try {
      return await this.receive(exportNameReplyDecoder(noZeroes));
    } catch (e) {
      // With NBD_OPT_EXPORT_NAME, hanging up is the server's only way to say no.
      if (this.failure === undefined) throw new Error(`the server hung up when asked for export ${quoteExport(exportName)}; check the export name`);
      throw e;
    }
  }

  /** The next handshake message, decoded from what has arrived or will arrive. */
  private receive<T>(decode: Decoder<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiter = { decode, resolve: resolve as (v: unknown) => void, reject };
      this.feedWaiter();
    });
  }

  private feedWaiter(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    try {
      const message = waiter.decode(this.input);
      if (message === undefined) return;
      this.waiter = undefined;
      waiter.resolve(message);
    } catch (e) {
      this.waiter = undefined;
      waiter.reject(e as Error);
    }
  }

  private received(chunk: Buffer): void {
    this.input.push(chunk);
    if (!this.transmitting) return this.feedWaiter();
    try {
      this.takeReplies();
    } catch (e) {
      this.hangUp(`protocol error: ${(e as Error).message}`);
    }
  }

  private readonly decodeReply = simpleReplyDecoder((handle) => {
    const req = this.pending.get(handle);
    return req === undefined ? undefined : req.command === CMD_READ ? req.data.length : 0;
  });

  private takeReplies(): void {
    for (let reply = this.decodeReply(this.input); reply; reply = this.decodeReply(this.input)) {
      const req = this.pending.get(reply.handle)!;
      this.pending.delete(reply.handle);
      if (reply.error === 0) {
        if (req.command === CMD_READ) req.data.set(reply.data);
        req.resolve();
        continue;
      }
      req.reject(requestError(this.endpoint.target, req, `the server answered ${errnoName(reply.error)}`));
      // The server is going away: the spec asks for a soft disconnect; the image then reconnects.
      if (reply.error === ESHUTDOWN) void this.disconnect();
    }
    if (this.pending.size === 0 && this.usable) this.stopWatchdog();
  }

  send(req: Request): void {
    const handle = this.nextHandle++;
    this.pending.set(handle, req);
    this.socket.write(encodeRequest(req.command, handle, req.offset, req.data.length));
    if (req.command === CMD_WRITE) this.socket.write(req.data);
    this.startWatchdog();
  }

  /** NBD_CMD_DISC, then waits for the server to close (it answers outstanding requests first). */
  async disconnect(): Promise<void> {
    if (this.usable) {
      this.usable = false;
      this.socket.end(encodeRequest(CMD_DISC, this.nextHandle++, 0, 0));
      this.startWatchdog();
    }
    await this.lost;
  }

  /**
   * While replies or the close after NBD_CMD_DISC are due, the server must make progress: bytes
   * must arrive, or the bytes sent must leave (a large write takes a while before its reply). A
   * server that does neither for timeoutMs is hung; dropping the connection lets the image reconnect.
   */
  private startWatchdog(): void {
    if (this.watchdog !== undefined) return;
    const mark = this.progress();
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      if (this.progress() === mark) this.hangUp(`no reply for ${this.timeoutMs} ms; the server seems hung`);
      else this.startWatchdog();
    }, this.timeoutMs).unref();
  }

  private stopWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private progress(): number {
    return this.socket.bytesRead + this.socket.bytesWritten - this.socket.writableLength;
  }

  /** Ends the connection now: a hard disconnect, or a soft one with a farewell message. */
  private hangUp(reason: string, farewell?: Uint8Array): void {
    this.failure ??= reason;
    this.usable = false;
    if (farewell) this.socket.end(farewell, () => this.socket.destroy());
    else this.socket.destroy();
  }
}

function describeSocketError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ECONNREFUSED":
      return "connection refused; is the NBD server running and listening on that address and port?";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "unknown host; check the host name";
    case "ECONNRESET":
    case "EPIPE":
      return "the server reset the connection";
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `the server cannot be reached (${e.code}); check the address and the network`;
    default:
      return e.message;
  }
}

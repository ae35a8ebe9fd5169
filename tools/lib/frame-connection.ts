// The client side of a Domus socket protocol (kernel, xend): requests with ids, one reply each,
// and events pushed without an id. Framing is kernel/public/frames.ts, shared with the servers.
// The typed clients (kernel-client.ts, xend-client.ts) validate what comes back; this layer only
// knows ids, ok/error and timeouts.

import { connect, type Socket } from "node:net";
import { encodeFrame, encodeRawFrame, FrameReader, FrameError, ReadBuffers } from "../../kernel/public/frames.js";
import { writeBatched } from "../../kernel/host/socket-batch.js";

/** The server could not be reached: it is not running, or the socket is stale. */
export class NotRunningError extends Error {
  override name = "NotRunningError";
}

/** The server answered {ok: false}. */
export class RemoteError extends Error {
  override name = "RemoteError";
}

/** A reply or event that does not have the shape the protocol defines. */
export class ProtocolViolation extends Error {
  override name = "ProtocolViolation";
}

export class RequestTimeout extends Error {
  override name = "RequestTimeout";
}

export class ConnectionClosed extends Error {
  override name = "ConnectionClosed";
}

export interface ConnectOptions {
  /** Names the server in messages, e.g. "the Domus kernel". */
  readonly what: string;
  /** Said after "is not running": how the user starts it. */
  readonly remedy: string;
  readonly timeoutMs?: number;
  /**
   * The connection carries bulk frames (a backend's kernel connection): the socket reads into
   * ReadBuffers, so that a frame cut between two reads reaches the receiver without a copy.
   */
  readonly bulk?: boolean;
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly onReply?: (result: unknown) => void;
  readonly timer: NodeJS.Timeout;
  readonly op: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export class FrameConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly reader = new FrameReader();
  private closedError: Error | undefined;
  private eventHandler: (event: Record<string, unknown>) => void = () => {};
  private closeHandlers: ((why: Error) => void)[] = [];

  private constructor(private readonly socket: Socket, readonly path: string, private readonly what: string) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (e) => this.fail(new ConnectionClosed(`${what} connection (${path}) failed: ${e.message}`)));
    socket.on("close", () => this.fail(new ConnectionClosed(`${what} closed the connection (${path})`)));
  }

  static connect(path: string, opts: ConnectOptions): Promise<FrameConnection> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const buffers = opts.bulk === true ? new ReadBuffers() : undefined;
      // Made on "connect", before which nothing is read.
      let conn: FrameConnection | undefined;
      const socket = buffers === undefined ? connect(path) : connect({
        path,
        onread: {
          buffer: () => buffers.next(),
          callback: (n, buf) => {
            conn?.onData(buffers.took(buf, n));
            return true;
          },
        },
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new NotRunningError(`${opts.what} did not answer on ${path} within ${timeoutMs} ms; ${opts.remedy}`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        conn = new FrameConnection(socket, path, opts.what);
        resolve(conn);
      });
      socket.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why = e.code === "ENOENT" ? "no socket"
          : e.code === "ECONNREFUSED" ? "a stale socket, nobody listening"
          : e.message;
        reject(new NotRunningError(`${opts.what} is not running (${why} at ${path}); ${opts.remedy}`));
      });
    });
  }

  /**
   * Send one request and wait for its reply's result. `onReply` sees the result as the reply is
   * read, before any message after it reaches the event handler (an awaiting caller resumes only
   * after the whole read is dispatched); what it throws rejects the request.
   */
  request(message: Record<string, unknown> & { op: string }, timeoutMs = 10_000, onReply?: (result: unknown) => void): Promise<unknown> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeout(`${this.what} did not answer "${message.op}" within ${timeoutMs} ms (${this.path})`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, op: message.op, onReply });
      writeBatched(this.socket, encodeFrame({ ...message, id }));
    });
  }

  /**
   * Send a message that gets no reply, with bulk bytes after it when given (frames.ts: the pieces
   * arrive as one `raw`, and are not copied together here). Posts made in one turn of the event
   * loop leave in one write: the socket stays corked until then.
   */
  post(message: Record<string, unknown> & { op: string }, ...raw: Uint8Array[]): void {
    if (this.closedError !== undefined) return;
    writeBatched(this.socket, ...(raw.length === 0 ? [encodeFrame(message)] : encodeRawFrame(message, ...raw)));
  }

  /** Messages without an id (pushed events). Replaces any earlier handler. */
  onEvent(handler: (event: Record<string, unknown>) => void): void {
    this.eventHandler = handler;
  }

  onClose(handler: (why: Error) => void): void {
    if (this.closedError !== undefined) handler(this.closedError);
    else this.closeHandlers.push(handler);
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  close(): void {
    this.fail(new ConnectionClosed(`connection to ${this.what} closed by this side`));
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let messages: unknown[];
    try {
      messages = this.reader.push(chunk);
    } catch (e) {
      // A corrupt stream cannot be resynchronised: drop the connection, the caller reconnects.
      const why = e instanceof FrameError ? e.message : String(e);
      this.fail(new ProtocolViolation(`${this.what} sent a bad frame (${why})`));
      this.socket.destroy();
      return;
    }
    for (const m of messages) this.dispatch(m);
  }

  private dispatch(m: unknown): void {
    if (!isRecord(m)) return this.violation(`a message that is not a map`);
    if (m.id === undefined) {
      this.eventHandler(m);
      return;
    }
    if (typeof m.id !== "number") return this.violation(`a reply with a non-numeric id`);
    const p = this.pending.get(m.id);
    if (p === undefined) return; // a reply that arrived after its timeout
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok === true) {
      try {
        p.onReply?.(m.result);
      } catch (e) {
        p.reject(e as Error);
        return;
      }
      p.resolve(m.result);
    } else if (m.ok === false) {
      p.reject(new RemoteError(typeof m.error === "string" ? m.error : `${this.what} refused "${p.op}"`));
    } else p.reject(new ProtocolViolation(`${this.what} answered "${p.op}" without ok: true/false`));
  }

  private violation(what: string): void {
    // Logged, not thrown: one odd message from a newer server must not end a client.
    process.emitWarning(`${this.what} sent ${what}; ignored`);
  }

  private fail(e: Error): void {
    if (this.closedError !== undefined) return;
    this.closedError = e;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    for (const h of this.closeHandlers.splice(0)) h(e);
  }
}

// A xenstore client over the store's Unix socket, for Domus's own tools (and its tests and
// benchmarks): requests may be pipelined; replies are matched by request id; watch events go
// to `onWatch`.

import { createConnection, type Socket } from "node:net";
import {
  XS_DIRECTORY, XS_ERROR, XS_GET_PERMS, XS_MKDIR, XS_READ, XS_RM, XS_SET_PERMS, XS_TRANSACTION_END,
  XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE, type XsErrorName,
} from "../../kernel/public/xs-wire.js";
import {
  encodeMessage, joinStrings, MessageReader, splitStrings, TYPE_NAMES, type XsMessage,
} from "./wire.js";

/** The store answered with an error. */
export class XsClientError extends Error {
  constructor(readonly code: XsErrorName | string, what: string) {
    super(`${what}: ${code}`);
  }
}

interface Pending {
  resolve: (payload: Buffer) => void;
  reject: (e: Error) => void;
  what: string;
}

export class XsClient {
  /** Called with (path, token) for every watch event. */
  onWatch: (path: string, token: string) => void = () => {};
  private readonly reader = new MessageReader();
  private readonly pending = new Map<number, Pending>();
  private nextReqId = 1;
  private failure: Error | undefined;
  private readonly closeHandlers: ((why: Error) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      let messages: XsMessage[];
      try {
        messages = this.reader.feed(chunk);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      for (const m of messages) this.dispatch(m);
    });
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection to the store closed")));
  }

  static connect(path: string): Promise<XsClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new XsClient(socket));
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Sends one request; resolves with the reply payload, rejects with XsClientError. */
  request(type: number, payload: Buffer, txId = 0): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const reqId = this.nextReqId;
    this.nextReqId = (this.nextReqId + 1) >>> 0 || 1;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject, what: TYPE_NAMES.get(type) ?? String(type) });
      this.socket.write(encodeMessage(type, reqId, txId, payload));
    });
  }

  async read(path: string, tx = 0): Promise<Buffer> {
    return this.request(XS_READ, joinStrings([path]), tx);
  }

  /** The node's value as text, or undefined if it does not exist. */
  async readIfExists(path: string, tx = 0): Promise<string | undefined> {
    try {
      return (await this.read(path, tx)).toString();
    } catch (e) {
      if (e instanceof XsClientError && e.code === "ENOENT") return undefined;
      throw e;
    }
  }

  /** The node's children, or none if it does not exist. */
  async directoryIfExists(path: string, tx = 0): Promise<string[]> {
    try {
      return await this.directory(path, tx);
    } catch (e) {
      if (e instanceof XsClientError && e.code === "ENOENT") return [];
      throw e;
    }
  }

  async write(path: string, value: string | Buffer, tx = 0): Promise<void> {
    await this.request(XS_WRITE, Buffer.concat([joinStrings([path]), Buffer.from(value)]), tx);
  }

  async mkdir(path: string, tx = 0): Promise<void> {
    await this.request(XS_MKDIR, joinStrings([path]), tx);
  }

  async rm(path: string, tx = 0): Promise<void> {
    await this.request(XS_RM, joinStrings([path]), tx);
  }

  async directory(path: string, tx = 0): Promise<string[]> {
    return splitStrings(await this.request(XS_DIRECTORY, joinStrings([path]), tx));
  }

  async getPerms(path: string, tx = 0): Promise<string[]> {
    return splitStrings(await this.request(XS_GET_PERMS, joinStrings([path]), tx));
  }

  async setPerms(path: string, perms: string[], tx = 0): Promise<void> {
    await this.request(XS_SET_PERMS, joinStrings([path, ...perms]), tx);
  }

  async watch(path: string, token: string): Promise<void> {
    await this.request(XS_WATCH, joinStrings([path, token]));
  }

  async unwatch(path: string, token: string): Promise<void> {
    await this.request(XS_UNWATCH, joinStrings([path, token]));
  }

  async transactionStart(): Promise<number> {
    return Number(splitStrings(await this.request(XS_TRANSACTION_START, joinStrings([""])))[0]);
  }

  /** Commits (or aborts); a conflict rejects with code EAGAIN. */
  async transactionEnd(tx: number, commit = true): Promise<void> {
    await this.request(XS_TRANSACTION_END, joinStrings([commit ? "T" : "F"]), tx);
  }

  private dispatch(m: XsMessage): void {
    if (m.type === XS_WATCH_EVENT) {
      const [path, token] = splitStrings(m.payload);
      this.onWatch(path ?? "", token ?? "");
      return;
    }
    const p = this.pending.get(m.reqId);
    if (!p) return;
    this.pending.delete(m.reqId);
    if (m.type === XS_ERROR) p.reject(new XsClientError(splitStrings(m.payload)[0] ?? "EINVAL", p.what));
    else p.resolve(m.payload);
  }

  /** Called once when the connection fails or closes (at once if it already has). */
  onClose(handler: (why: Error) => void): void {
    if (this.failure) handler(this.failure);
    else this.closeHandlers.push(handler);
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.socket.destroy();
    for (const h of this.closeHandlers) h(e);
  }
}

// Running the real store process in a temporary DOMUS_HOME, and talking to it byte by byte.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { XS_WATCH_EVENT } from "../../kernel/public/xs-wire.js";
import { encodeMessage, joinStrings, MessageReader, type XsMessage } from "../../services/store/wire.js";

export const STORE_MAIN = fileURLToPath(new URL("../../dist/services/store/main.js", import.meta.url));

export function tempHome(): { home: string; remove: () => void } {
  const home = mkdtempSync(join(tmpdir(), "domus-store-"));
  return { home, remove: () => rmSync(home, { recursive: true, force: true }) };
}

export function socketPath(home: string): string {
  return join(home, "run", "xenstored", "socket");
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tryConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export class StoreProcess {
  private errText = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly home: string, readonly child: ChildProcess) {
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (this.errText += s));
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Starts `node dist/services/store/main.js --home HOME ...args` and waits for its socket. */
  static async start(home: string, args: string[] = []): Promise<StoreProcess> {
    const child = spawn(process.execPath, [STORE_MAIN, "--home", home, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    const p = new StoreProcess(home, child);
    let gone = false;
    void p.exited.then(() => (gone = true));
    for (let i = 0; i < 500 && !gone; i++) {
      if (await tryConnect(p.socket)) return p;
      await sleep(10);
    }
    child.kill("SIGKILL");
    throw new Error(`store did not start: ${p.stderr}`);
  }

  get socket(): string {
    return socketPath(this.home);
  }

  get stderr(): string {
    return this.errText;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill("SIGTERM");
    return this.exited;
  }

  async kill9(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** A connection that sends whatever bytes it is told to, and collects what comes back. */
export class RawConnection {
  private readonly reader = new MessageReader();
  private readonly messages: XsMessage[] = [];
  private waiters: (() => void)[] = [];
  private isClosed = false;
  private nextReqId = 100;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const m of this.reader.feed(chunk)) this.messages.push(m);
      this.wake();
    });
    socket.on("close", () => {
      this.isClosed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static connect(path: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once("error", reject);
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new RawConnection(s));
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends one well-framed message and returns the reply to it (events before it are kept). */
  async request(type: number, payload: Buffer | string[], txId = 0): Promise<{ type: number; text: string; payload: Buffer }> {
    const reqId = this.nextReqId++;
    const body = Array.isArray(payload) ? joinStrings(payload) : payload;
    this.send(encodeMessage(type, reqId, txId, body));
    const m = await this.next((x) => x.type !== XS_WATCH_EVENT && x.reqId === reqId);
    return { type: m.type, text: m.payload.toString("latin1"), payload: m.payload };
  }

  /** The next message matching `pred`, removed from the queue; rejects if the connection closes first. */
  async next(pred: (m: XsMessage) => boolean = () => true, timeoutMs = 5000): Promise<XsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex(pred);
      if (i >= 0) return this.messages.splice(i, 1)[0];
      if (this.isClosed) throw new Error("connection closed");
      if (Date.now() > deadline) throw new Error("timed out waiting for a message");
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Watch events received so far, as "path|token", removed from the queue. */
  events(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.messages.length; ) {
      if (this.messages[i].type === XS_WATCH_EVENT) {
        const [path, token] = this.messages.splice(i, 1)[0].payload.toString("latin1").split("\0");
        out.push(`${path}|${token}`);
      } else i++;
    }
    return out;
  }

  /** Resolves when the store has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isClosed) {
      if (Date.now() > deadline) throw new Error("connection still open");
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Reply payload text for an ERROR or an ack, NULs shown as "|". */
export function shown(text: string): string {
  return text.replace(/\0/g, "|");
}

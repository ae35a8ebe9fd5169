// A store in this process with clients of any domain, through the same Connection API a
// guest's ring transport will use.

import { XS_TRANSACTION_START, XS_WATCH_EVENT, XS_WRITE } from "../../kernel/public/xs-wire.js";
import type { Connection, Transport } from "../../services/store/connection.js";
import type { Store } from "../../services/store/core.js";
import {
  encodeMessage, joinStrings, MessageReader, TYPE_NAMES, type XsMessage,
} from "../../services/store/wire.js";
import { shown } from "./support.js";

export class TestClient implements Transport {
  readonly conn: Connection;
  /** Messages received and not yet looked at. */
  readonly inbox: XsMessage[] = [];
  queued = 0;
  paused = false;
  closedByStore = false;
  /** If false, messages stay "not taken" (queued) until take(): a client that does not read. */
  autoTake = true;
  private readonly reader = new MessageReader();
  private nextReqId = 1;

  constructor(store: Store, readonly domid: number) {
    this.conn = store.connect(domid, this, `test client (domain ${domid})`);
  }

  write(frame: Buffer): void {
    if (!this.autoTake) this.queued++;
    for (const m of this.reader.feed(frame)) this.inbox.push(m);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  close(): void {
    this.closedByStore = true;
  }

  /** The client reads everything queued. */
  take(): void {
    this.queued = 0;
    this.conn.drained();
  }

  /** Sends a request without waiting; returns its request id. */
  send(type: number, args: string[] | Buffer, tx = 0): number {
    const reqId = this.nextReqId++;
    this.conn.receive(encodeMessage(type, reqId, tx, Array.isArray(args) ? joinStrings(args) : args));
    return reqId;
  }

  /** Waits for the reply to `reqId` and returns it as "TYPE:payload" (NULs as "|"). */
  async reply(reqId: number, timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.reqId === reqId && m.type !== XS_WATCH_EVENT);
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0];
        return `${TYPE_NAMES.get(m.type) ?? m.type}:${shown(m.payload.toString("latin1"))}`;
      }
      if (Date.now() > deadline) throw new Error(`no reply to request ${reqId}`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  async ask(type: number, args: string[] | Buffer, tx = 0): Promise<string> {
    return this.reply(this.send(type, args, tx));
  }

  async set(path: string, value: string, tx = 0): Promise<string> {
    return this.ask(XS_WRITE, Buffer.concat([joinStrings([path]), Buffer.from(value)]), tx);
  }

  /** Watch events received so far, as "path|token". */
  events(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.inbox.length; ) {
      if (this.inbox[i].type === XS_WATCH_EVENT) out.push(shown(this.inbox.splice(i, 1)[0].payload.toString("latin1")).replace(/\|$/, ""));
      else i++;
    }
    return out;
  }

  /** A transaction id from TRANSACTION_START. */
  async start(): Promise<number> {
    const r = await this.ask(XS_TRANSACTION_START, [""]);
    const m = /^TRANSACTION_START:(\d+)\|$/.exec(r);
    if (!m) throw new Error(`transaction start failed: ${r}`);
    return Number(m[1]);
  }
}

// One client of the store: a tool on the Unix socket, or a guest whose ring the kernel relays. The
// transport moves bytes; the connection cuts them into messages, keeps the client's watches
// and transactions, and stops reading while too many replies wait for the client.

import type { Transaction } from "./transaction.js";
import { WatchList } from "./watch.js";
import { MessageReader, ProtocolError, type XsMessage } from "./wire.js";
import type { Caller } from "./perms.js";

/** How a connection reaches its client. */
export interface Transport {
  /** Queues one encoded message for the client. */
  write(frame: Buffer): void;
  /** Messages written and not yet taken by the client. */
  readonly queued: number;
  /** Stop and restart delivering input (flow control). */
  pause(): void;
  resume(): void;
  /** Drops the client. */
  close(): void;
}

/** What a connection needs from the store. */
export interface ConnectionHost {
  handle(conn: Connection, msg: XsMessage): void;
  closed(conn: Connection): void;
  log(msg: string): void;
  /** The domain `domid` acts for (SET_TARGET), if any. */
  targetOf(domid: number): number | undefined;
}

export class Connection implements Caller {
  readonly watches = new WatchList();
  readonly transactions = new Map<number, Transaction>();
  private nextTransactionId = 1;
  /** Replies and events in order, each waiting for the journal batch it depends on. */
  private waiting: { frame: Buffer; batch: number }[] = [];
  private waitingHead = 0;
  private readonly reader = new MessageReader();
  private inbox: XsMessage[] = [];
  private inboxHead = 0;
  private dead = false;
  private paused = false;

  /**
   * `outstanding` bounds replies not yet taken by the client before the store stops reading
   * from it; `dropAt` bounds them (events included, which cannot wait) before it drops it.
   */
  constructor(
    readonly domid: number,
    readonly privileged: boolean,
    readonly name: string,
    private readonly transport: Transport,
    private readonly host: ConnectionHost,
    private readonly outstanding: number,
    private readonly dropAt: number,
  ) {}

  get target(): number | undefined {
    return this.host.targetOf(this.domid);
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.dead) return;
    let messages: XsMessage[];
    try {
      messages = this.reader.feed(chunk);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.host.log(`${this.name}: ${e.message}; dropping the connection`);
      this.close();
      return;
    }
    for (const m of messages) this.inbox.push(m);
    this.pump();
  }

  /** The client took messages: maybe read again. */
  drained(): void {
    this.pump();
  }

  /** The transport is gone. */
  closed(): void {
    if (this.dead) return;
    this.dead = true;
    this.inbox = [];
    this.waiting = [];
    this.waitingHead = 0;
    this.watches.clear();
    this.transactions.clear();
    this.host.closed(this);
  }

  close(): void {
    if (!this.dead) this.transport.close();
    this.closed();
  }

  /**
   * Sends a message that may show changes of journal batch `batch` (0: none) once batches up to
   * `durable` are on disk; earlier messages still waiting go first. Returns true if it waits.
   */
  send(frame: Buffer, batch: number, durable: number): boolean {
    if (this.dead) return false;
    if (this.waitingHead === this.waiting.length && batch <= durable) {
      this.deliver(frame);
      return false;
    }
    this.waiting.push({ frame, batch });
    return true;
  }

  /** Batches up to `durable` are on disk: sends what waited for them. Returns true if some still wait. */
  release(durable: number): boolean {
    while (this.waitingHead < this.waiting.length && this.waiting[this.waitingHead].batch <= durable) {
      this.deliver(this.waiting[this.waitingHead++].frame);
    }
    if (this.waitingHead < this.waiting.length) return true;
    this.waiting = [];
    this.waitingHead = 0;
    return false;
  }

  private deliver(frame: Buffer): void {
    if (this.dead) return;
    this.transport.write(frame);
    if (this.pending() > this.dropAt) {
      this.host.log(`${this.name}: ${this.pending()} messages not taken; dropping the connection`);
      this.close();
    }
  }

  private pending(): number {
    return this.waiting.length - this.waitingHead + this.transport.queued;
  }

  /** A transaction id not in use (ids are never 0, which means "no transaction"). */
  newTransactionId(): number {
    while (this.nextTransactionId === 0 || this.transactions.has(this.nextTransactionId)) {
      this.nextTransactionId = (this.nextTransactionId + 1) >>> 0;
    }
    const id = this.nextTransactionId;
    this.nextTransactionId = (id + 1) >>> 0;
    return id;
  }

  /** Handles queued requests while the client keeps up with the replies. */
  private pump(): void {
    while (!this.dead && this.inboxHead < this.inbox.length) {
      if (this.pending() >= this.outstanding) {
        if (!this.paused) this.transport.pause();
        this.paused = true;
        return;
      }
      const msg = this.inbox[this.inboxHead++];
      this.host.handle(this, msg);
    }
    this.inbox = [];
    this.inboxHead = 0;
    if (this.paused && !this.dead) this.transport.resume();
    this.paused = false;
  }
}

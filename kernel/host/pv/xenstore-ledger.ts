// What the store owes a guest, kept by the kernel's ring relay (xenstore-ring.ts) so that the
// guest's ring carries on when the store is killed and restarted. The guest cannot tell that
// its store connection was replaced, so the relay makes the new connection look like the old:
//
// - Every request sent to the store stays here, whole, until its reply arrived. On a new
//   connection the unanswered ones are sent again, in order. The store's journal answers only
//   what is durable, so a re-sent request either finds its effect already there (a WRITE of the
//   same value, a MKDIR: harmless) or makes it now. One that cannot be repeated as such is one
//   inside a transaction, which died with the old store: the guest gets EAGAIN for it, as
//   xenstored answers a transaction that cannot commit, and retries the transaction. A
//   TRANSACTION_START is sent again: the guest never saw the old one's id.
// - The guest's watches (each WATCH and UNWATCH the store acknowledged) are registered again
//   on the new connection, first. Their replies are the relay's, not the guest's, and are
//   dropped; the event the store fires on registration reaches the guest (xenstore allows a
//   spurious event, and it tells the guest to read the current value).
//
// The store answers a connection's requests in order (as xenstored does), with watch events in
// between, so a reply belongs to the oldest request without one; req_ids are the guest's and
// may repeat. Replies reach the guest in request order, including the ones the relay makes up.
//
// The guest may also ask for a fresh start itself (the ring's reconnection feature, `reset`):
// then everything it asked for is forgotten. Requests already at the store are still answered
// there, in order, so they stay here as the relay's own until their replies come, and are
// dropped; a RESET_WATCHES behind them ends the connection's watches and transactions.
// Pure bookkeeping: no sockets, no guest memory, so it is tested on its own.

import { encodeMessage } from "../../../services/store/wire.js";
import type { XenstoreRelayState } from "../../public/machine-state.js";
import {
  XS_ERROR, XS_HDR_REQ_ID, XS_HDR_TX_ID, XS_HDR_TYPE, XS_HEADER_SIZE, XS_RESET_WATCHES,
  XS_TRANSACTION_END, XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT,
} from "../../public/xs-wire.js";

interface Pending {
  /** The whole request. */
  readonly msg: Buffer;
  /**
   * Sent by the relay (a watch registered again, a RESET_WATCHES), or the guest's but discarded
   * by a reset: the reply is not the guest's.
   */
  own: boolean;
  /** A watch registered again: a refusal means the guest lost it. */
  readonly rewatch?: boolean;
  /** Sent to the store (or answered here, when false). */
  sent: boolean;
  /** The reply, once known; it waits for the replies to earlier requests. */
  reply?: Buffer;
}

/** Messages to send to the store, and messages to give the guest, in order. */
export interface LedgerOutput {
  toStore: Buffer[];
  toGuest: Buffer[];
}

const type = (m: Buffer): number => m.readUInt32LE(XS_HDR_TYPE);
const txId = (m: Buffer): number => m.readUInt32LE(XS_HDR_TX_ID);
const payloadStrings = (m: Buffer): string[] => m.toString("utf8", XS_HEADER_SIZE).split("\0");

/** The error reply xenstored gives `req`: type ERROR, the errno's name, NUL-terminated. */
export function errorReply(req: Buffer, name: string): Buffer {
  return encodeMessage(XS_ERROR, req.readUInt32LE(XS_HDR_REQ_ID), txId(req), Buffer.from(`${name}\0`));
}

const isError = (reply: Buffer, name?: string): boolean =>
  type(reply) === XS_ERROR && (name === undefined || payloadStrings(reply)[0] === name);

export class XenstoreLedger {
  private pending: Pending[] = [];
  /** The guest's watches, by canonical path and token: the WATCH payload to send again. */
  private readonly watches = new Map<string, Buffer>();
  /** Transactions the current store connection started for the guest. */
  private readonly liveTx = new Set<number>();
  /** Transactions a previous store took with it, until the guest ends them. */
  private readonly deadTx = new Set<number>();

  /**
   * `domid` resolves relative watch paths, as the store does, so UNWATCH finds its WATCH.
   * `saved`: a restored domain's ledger. Its store connection is gone, as after a store restart:
   * the next connection registers the watches again and sends the unanswered requests again,
   * and the transactions it had are dead.
   */
  constructor(private readonly domid: number, saved?: Pick<XenstoreRelayState, "pending" | "watches" | "transactions">) {
    if (saved === undefined) return;
    this.pending = saved.pending.map((p): Pending => ({
      msg: Buffer.from(p.msg), own: false, sent: p.sent, ...(p.reply === undefined ? {} : { reply: Buffer.from(p.reply) }),
    }));
    for (const w of saved.watches) this.watches.set(this.watchKey(Buffer.from(w)), Buffer.from(w));
    for (const t of saved.transactions) this.deadTx.add(t);
  }

  /** What a saved state keeps: the guest's requests and watches, and its open transactions. */
  saveState(): Pick<XenstoreRelayState, "pending" | "watches" | "transactions"> {
    return {
      pending: this.pending.filter((p) => !p.own).map((p) => ({ msg: p.msg, sent: p.sent, ...(p.reply === undefined ? {} : { reply: p.reply }) })),
      watches: [...this.watches.values()],
      transactions: [...this.liveTx, ...this.deadTx],
    };
  }

  /** A whole request from the guest: sent on, or answered at once if its transaction died. */
  request(msg: Buffer): LedgerOutput {
    const p: Pending = { msg, own: false, sent: true };
    this.pending.push(p);
    if (this.answerIfDead(p)) return { toStore: [], toGuest: this.drain() };
    return { toStore: [msg], toGuest: [] };
  }

  /** A whole message from the store. */
  fromStore(msg: Buffer): LedgerOutput {
    // Events are not replies; they go straight on.
    if (type(msg) === XS_WATCH_EVENT) return { toStore: [], toGuest: [msg] };
    const p = this.pending.find((q) => q.sent && q.reply === undefined);
    // A reply to nothing: the store never does this; let the guest see it rather than hide it.
    if (p === undefined) return { toStore: [], toGuest: [msg] };
    p.reply = msg;
    return { toStore: [], toGuest: this.drain() };
  }

  /**
   * A new connection to the store (the first, or one after a restart): the watches to register
   * again, then the unanswered requests; and the EAGAINs for those whose transaction died.
   */
  connected(): LedgerOutput {
    for (const t of this.liveTx) this.deadTx.add(t);
    this.liveTx.clear();
    // Registrations still unanswered from an earlier connection are made again below.
    const guests = this.pending.filter((p) => !p.own);
    const own = [...this.watches.values()].map((payload): Pending => ({
      msg: encodeMessage(XS_WATCH, 0, 0, payload), own: true, rewatch: true, sent: true,
    }));
    this.pending = [...own, ...guests];
    const toStore = own.map((p) => p.msg);
    for (const p of guests) {
      // One answered here already only waits for its turn; the rest went to the old store.
      if (p.reply === undefined && !this.answerIfDead(p)) toStore.push(p.msg);
    }
    return { toStore, toGuest: this.drain() };
  }

  /**
   * The guest reset its ring (XENSTORE_RECONNECT): its requests, watches and transactions are
   * gone. With a store connection (`connected`), what the store has not answered yet is left to
   * be answered and dropped, and the store is told to end the watches and transactions; without
   * one, the next connection starts with nothing anyway.
   */
  reset(connected: boolean): LedgerOutput {
    this.watches.clear();
    this.liveTx.clear();
    this.deadTx.clear();
    if (!connected) {
      this.pending = [];
      return { toStore: [], toGuest: [] };
    }
    // Answered here (EAGAIN) or by the store: nothing owed to anyone.
    this.pending = this.pending.filter((p) => p.sent && p.reply === undefined);
    for (const p of this.pending) p.own = true;
    const reset: Pending = { msg: encodeMessage(XS_RESET_WATCHES, 0, 0, Buffer.alloc(0)), own: true, sent: true };
    this.pending.push(reset);
    return { toStore: [reset.msg], toGuest: [] };
  }

  /** The guest's watches, as `path\0token` with canonical paths (for tests and logs). */
  activeWatches(): string[] {
    return [...this.watches.keys()].sort();
  }

  /** Requests without a reply yet, or whose reply waits for an earlier one. */
  get outstanding(): number {
    return this.pending.filter((p) => !p.own).length;
  }

  /** EAGAIN for a request in a transaction a previous store took with it. */
  private answerIfDead(p: Pending): boolean {
    const t = txId(p.msg);
    if (t === 0 || !this.deadTx.has(t)) return false;
    // The guest ends the transaction by this END: its id may be a new store's next one.
    if (type(p.msg) === XS_TRANSACTION_END) this.deadTx.delete(t);
    p.sent = false;
    p.reply = errorReply(p.msg, "EAGAIN");
    return true;
  }

  /** Takes the replies at the head, in request order: the guest's to give, the relay's to note. */
  private drain(): Buffer[] {
    const out: Buffer[] = [];
    while (this.pending.length > 0 && this.pending[0].reply !== undefined) {
      const p = this.pending.shift()!;
      const reply = p.reply!;
      if (p.own) {
        // The new store refused a watch the old one had (a quota lowered meanwhile): the guest
        // has lost it either way; stop registering it.
        if (p.rewatch && isError(reply)) this.watches.delete(this.watchKey(p.msg.subarray(XS_HEADER_SIZE)));
        continue;
      }
      if (p.sent) this.note(p.msg, reply);
      out.push(reply);
    }
    return out;
  }

  /** What a reply the guest gets says about its watches and transactions. */
  private note(req: Buffer, reply: Buffer): void {
    const ok = !isError(reply);
    switch (type(req)) {
      case XS_WATCH:
        if (ok) this.watches.set(this.watchKey(req.subarray(XS_HEADER_SIZE)), req.subarray(XS_HEADER_SIZE));
        break;
      case XS_UNWATCH:
        if (ok) this.watches.delete(this.watchKey(req.subarray(XS_HEADER_SIZE)));
        break;
      case XS_RESET_WATCHES:
        // The store drops the connection's watches and transactions.
        if (ok) {
          this.watches.clear();
          this.liveTx.clear();
        }
        break;
      case XS_TRANSACTION_START:
        if (ok) {
          const id = Number(payloadStrings(reply)[0]);
          this.liveTx.add(id);
          this.deadTx.delete(id);
        }
        break;
      case XS_TRANSACTION_END:
        // Committed, aborted, conflicting or unknown: gone. Any other error leaves it open.
        if (ok || isError(reply, "EAGAIN") || isError(reply, "ENOENT")) this.liveTx.delete(txId(req));
        break;
    }
  }

  /** A WATCH or UNWATCH payload's watch: canonical path and token. */
  private watchKey(payload: Buffer): string {
    const [path, token] = payload.toString("utf8").split("\0");
    const abs = path.startsWith("/") || path.startsWith("@") ? path : `/local/domain/${this.domid}/${path}`;
    return `${abs}\0${token}`;
  }
}

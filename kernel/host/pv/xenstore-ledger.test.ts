import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  XS_ERROR, XS_HDR_REQ_ID, XS_HDR_TX_ID, XS_HDR_TYPE, XS_HEADER_SIZE, XS_READ, XS_RESET_WATCHES, XS_TRANSACTION_END,
  XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
} from "../../public/xs-wire.js";
import { encodeMessage, joinStrings } from "../../../services/store/wire.js";
import { pack, unpack } from "msgpackr";
import { XenstoreLedger } from "./xenstore-ledger.js";

const msg = (type: number, reqId: number, tx: number, ...args: string[]): Buffer =>
  encodeMessage(type, reqId, tx, joinStrings(args));
const typeOf = (m: Buffer): number => m.readUInt32LE(XS_HDR_TYPE);
const reqIdOf = (m: Buffer): number => m.readUInt32LE(XS_HDR_REQ_ID);
const txOf = (m: Buffer): number => m.readUInt32LE(XS_HDR_TX_ID);
const args = (m: Buffer): string[] => m.toString("utf8", XS_HEADER_SIZE).split("\0").slice(0, -1);

/**
 * A store connection as the real one behaves for these messages: answers in order, keeps the
 * connection's watches (relative paths below /local/domain/5) and transactions (ids from 1).
 * A restart is a new one: nothing kept.
 */
class ModelStore {
  queue: Buffer[] = [];
  watches = new Set<string>();
  private txs = new Set<number>();
  private nextTx = 1;

  /** Answers the oldest request: the reply, and the registration's event for a WATCH. */
  answer(): Buffer[] {
    const req = this.queue.shift()!;
    const [t, id, tx] = [typeOf(req), reqIdOf(req), txOf(req)];
    const ok = (...a: string[]): Buffer[] => [msg(t, id, tx, ...a)];
    const err = (e: string): Buffer[] => [msg(XS_ERROR, id, tx, e)];
    if (tx !== 0 && !this.txs.has(tx)) return err("ENOENT");
    const key = (): string => {
      const [path, token] = args(req);
      return `${path.startsWith("/") ? path : `/local/domain/5/${path}`}\0${token}`;
    };
    switch (t) {
      case XS_WATCH:
        if (this.watches.has(key())) return err("EEXIST");
        this.watches.add(key());
        return [...ok("OK"), msg(XS_WATCH_EVENT, 0, 0, ...args(req))];
      case XS_UNWATCH:
        return this.watches.delete(key()) ? ok("OK") : err("ENOENT");
      case XS_TRANSACTION_START:
        this.txs.add(this.nextTx);
        return ok(String(this.nextTx++));
      case XS_TRANSACTION_END:
        if (tx === 0) return err("ENOENT");
        this.txs.delete(tx);
        return ok("OK");
      default:
        return ok("OK");
    }
  }
}

describe("the xenstore relay's ledger", () => {
  it("sends requests on and gives replies back in order, events at once", () => {
    const l = new XenstoreLedger(5);
    const r1 = msg(XS_READ, 1, 0, "a");
    const r2 = msg(XS_WRITE, 2, 0, "b", "v");
    expect(l.request(r1)).toEqual({ toStore: [r1], toGuest: [] });
    expect(l.request(r2).toStore).toEqual([r2]);
    const ev = msg(XS_WATCH_EVENT, 0, 0, "p", "t");
    expect(l.fromStore(ev).toGuest).toEqual([ev]);
    const a1 = msg(XS_READ, 1, 0, "x");
    expect(l.fromStore(a1).toGuest).toEqual([a1]);
    expect(l.outstanding).toBe(1);
  });

  it("re-sends unanswered requests after a restart, behind the watches registered again", () => {
    const l = new XenstoreLedger(5);
    const w = msg(XS_WATCH, 1, 0, "data/poke", "poke");
    l.request(w);
    l.fromStore(msg(XS_WATCH, 1, 0, "OK"));
    expect(l.activeWatches()).toEqual(["/local/domain/5/data/poke\0poke"]);
    const write = msg(XS_WRITE, 2, 0, "data/hello", "world");
    l.request(write);
    const out = l.connected();
    expect(out.toGuest).toEqual([]);
    expect(out.toStore.map((m) => [typeOf(m), args(m)])).toEqual([
      [XS_WATCH, ["data/poke", "poke"]],
      [XS_WRITE, ["data/hello", "world"]],
    ]);
    // The registration's reply is the relay's; its event and the write's reply are the guest's.
    expect(l.fromStore(msg(XS_WATCH, 0, 0, "OK")).toGuest).toEqual([]);
    const ev = msg(XS_WATCH_EVENT, 0, 0, "data/poke", "poke");
    expect(l.fromStore(ev).toGuest).toEqual([ev]);
    const ack = msg(XS_WRITE, 2, 0, "OK");
    expect(l.fromStore(ack).toGuest).toEqual([ack]);
    expect(l.outstanding).toBe(0);
  });

  it("saved and restored (a domain moved), goes on as after a store restart", () => {
    const l = new XenstoreLedger(5);
    l.request(msg(XS_WATCH, 1, 0, "data/poke", "poke"));
    l.fromStore(msg(XS_WATCH, 1, 0, "OK"));
    l.request(msg(XS_TRANSACTION_START, 2, 0, ""));
    l.fromStore(msg(XS_TRANSACTION_START, 2, 0, "7"));
    const write = msg(XS_WRITE, 3, 0, "data/hello", "world");
    l.request(write);
    const restored = new XenstoreLedger(5, unpack(pack(l.saveState())));
    expect(restored.activeWatches()).toEqual(["/local/domain/5/data/poke\0poke"]);
    expect(restored.outstanding).toBe(1);
    const out = restored.connected();
    expect(out.toStore.map((m) => [typeOf(m), args(m)])).toEqual([
      [XS_WATCH, ["data/poke", "poke"]],
      [XS_WRITE, ["data/hello", "world"]],
    ]);
    // The transaction stayed with the old store: what the guest sends in it gets EAGAIN.
    const inTx = msg(XS_WRITE, 4, 7, "data/x", "y");
    expect(restored.request(inTx).toStore).toEqual([]);
    restored.fromStore(msg(XS_WATCH, 0, 0, "OK"));
    const ack = msg(XS_WRITE, 3, 0, "OK");
    expect(restored.fromStore(ack).toGuest.map((m) => [typeOf(m), reqIdOf(m)])).toEqual([[XS_WRITE, 3], [XS_ERROR, 4]]);
  });

  it("forgets a watch the guest removed, or one the new store refuses", () => {
    const l = new XenstoreLedger(5);
    l.request(msg(XS_WATCH, 1, 0, "a", "t"));
    l.fromStore(msg(XS_WATCH, 1, 0, "OK"));
    l.request(msg(XS_WATCH, 2, 0, "/b", "t"));
    l.fromStore(msg(XS_WATCH, 2, 0, "OK"));
    // UNWATCH with the absolute path removes the relative WATCH, as in the store.
    l.request(msg(XS_UNWATCH, 3, 0, "/local/domain/5/a", "t"));
    l.fromStore(msg(XS_UNWATCH, 3, 0, "OK"));
    expect(l.activeWatches()).toEqual(["/b\0t"]);
    expect(l.connected().toStore).toHaveLength(1);
    l.fromStore(msg(XS_ERROR, 0, 0, "ENOSPC"));
    expect(l.activeWatches()).toEqual([]);
  });

  it("on a ring reset drops what the guest asked for: replies still due are the relay's", () => {
    const l = new XenstoreLedger(5);
    l.request(msg(XS_WATCH, 1, 0, "a", "t"));
    l.fromStore(msg(XS_WATCH, 1, 0, "OK"));
    l.request(msg(XS_TRANSACTION_START, 2, 0, ""));
    l.fromStore(msg(XS_TRANSACTION_START, 2, 0, "1"));
    // A WATCH in flight that the store refuses must not touch the guest's later watches.
    l.request(msg(XS_WATCH, 3, 0, "b", "t"));
    const out = l.reset(true);
    expect(out.toGuest).toEqual([]);
    expect(out.toStore.map(typeOf)).toEqual([XS_RESET_WATCHES]);
    expect(l.activeWatches()).toEqual([]);
    expect(l.outstanding).toBe(0);
    const w = msg(XS_WATCH, 4, 0, "b", "t");
    expect(l.request(w).toStore).toEqual([w]);
    expect(l.fromStore(msg(XS_ERROR, 3, 0, "EEXIST")).toGuest).toEqual([]);
    expect(l.fromStore(msg(XS_RESET_WATCHES, 0, 0, "OK")).toGuest).toEqual([]);
    const ok = msg(XS_WATCH, 4, 0, "OK");
    expect(l.fromStore(ok).toGuest).toEqual([ok]);
    expect(l.activeWatches()).toEqual(["/local/domain/5/b\0t"]);
    // The transaction went with the reset: a restart does not turn it into EAGAINs.
    expect(l.connected().toStore.map(typeOf)).toEqual([XS_WATCH]);
    const inOld = msg(XS_WRITE, 5, 1, "c", "v");
    expect(l.request(inOld).toStore).toEqual([inOld]);
  });

  it("on a ring reset without a store connection starts from nothing", () => {
    const l = new XenstoreLedger(5);
    l.request(msg(XS_WATCH, 1, 0, "a", "t"));
    l.fromStore(msg(XS_WATCH, 1, 0, "OK"));
    l.request(msg(XS_WRITE, 2, 0, "a", "v"));
    expect(l.reset(false)).toEqual({ toStore: [], toGuest: [] });
    expect(l.connected()).toEqual({ toStore: [], toGuest: [] });
  });

  it("answers EAGAIN, in order, for what was in a transaction that died with the store", () => {
    const l = new XenstoreLedger(5);
    l.request(msg(XS_TRANSACTION_START, 1, 0, ""));
    l.fromStore(msg(XS_TRANSACTION_START, 1, 0, "1"));
    const inTx = msg(XS_WRITE, 2, 1, "a", "v");
    const plain = msg(XS_WRITE, 3, 0, "b", "v");
    l.request(inTx);
    l.request(plain);
    const out = l.connected();
    // The plain write goes again; the one in the transaction is answered here.
    expect(out.toStore).toEqual([plain]);
    expect(out.toGuest.map((m) => [typeOf(m), reqIdOf(m), txOf(m), args(m)])).toEqual([[XS_ERROR, 2, 1, ["EAGAIN"]]]);
    // Until the guest ends it, its requests get EAGAIN; the END too, and then it is gone.
    expect(l.request(msg(XS_READ, 4, 1, "a")).toGuest).toEqual([]); // waits behind the write
    const ack = msg(XS_WRITE, 3, 0, "OK");
    expect(l.fromStore(ack).toGuest.map((m) => [reqIdOf(m), args(m)])).toEqual([[3, ["OK"]], [4, ["EAGAIN"]]]);
    expect(args(l.request(msg(XS_TRANSACTION_END, 5, 1, "T")).toGuest[0])).toEqual(["EAGAIN"]);
    // The new store's transaction 1 is a new one, sent on.
    const next = msg(XS_TRANSACTION_START, 6, 0, "");
    expect(l.request(next).toStore).toEqual([next]);
    l.fromStore(msg(XS_TRANSACTION_START, 6, 0, "1"));
    const again = msg(XS_WRITE, 7, 1, "a", "v");
    expect(l.request(again).toStore).toEqual([again]);
  });

  it("sends an unanswered TRANSACTION_START again: the guest never saw the old id", () => {
    const l = new XenstoreLedger(5);
    const start = msg(XS_TRANSACTION_START, 1, 0, "");
    l.request(start);
    expect(l.connected()).toEqual({ toStore: [start], toGuest: [] });
  });

  it("property: any interleaving of requests, replies and restarts", () => {
    type Step =
      | { k: "req"; kind: number; n: number }
      | { k: "answer"; n: number }
      | { k: "restart"; settle: boolean };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ k: fc.constant("req" as const), kind: fc.integer({ min: 0, max: 6 }), n: fc.nat(3) }),
      fc.record({ k: fc.constant("answer" as const), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ k: fc.constant("restart" as const), settle: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const l = new XenstoreLedger(5);
        let store = new ModelStore();
        const sent: number[] = []; // req_ids in request order
        const sentReqs = new Map<number, Buffer>();
        const got: number[] = [];
        /** The guest's view: watches it was told it has, transactions it was told it is in. */
        const watches = new Set<string>();
        const guestTx = new Set<number>();
        let nextId = 1;

        const toGuest = (ms: Buffer[]): void => {
          for (const m of ms) {
            if (typeOf(m) === XS_WATCH_EVENT) continue;
            const id = reqIdOf(m);
            got.push(id);
            const req = sentReqs.get(id)!;
            const ok = typeOf(m) !== XS_ERROR;
            // Only a request in a transaction is answered EAGAIN.
            if (!ok && args(m)[0] === "EAGAIN") expect(txOf(req)).not.toBe(0);
            const [path, token] = args(req);
            const key = `${path.startsWith("/") ? path : `/local/domain/5/${path}`}\0${token}`;
            if (typeOf(req) === XS_WATCH && ok) watches.add(key);
            if (typeOf(req) === XS_UNWATCH && ok) watches.delete(key);
            if (typeOf(req) === XS_TRANSACTION_START && ok) guestTx.add(Number(args(m)[0]));
            if (typeOf(req) === XS_TRANSACTION_END || (!ok && txOf(req) !== 0)) guestTx.delete(txOf(req));
          }
        };
        const apply = (out: { toStore: Buffer[]; toGuest: Buffer[] }): void => {
          store.queue.push(...out.toStore);
          toGuest(out.toGuest);
        };
        const answer = (): void => {
          for (const m of store.answer()) apply(l.fromStore(m));
        };
        apply(l.connected());

        for (const s of steps) {
          if (s.k === "req") {
            const id = nextId++;
            const tx = [...guestTx][s.n % Math.max(1, guestTx.size)] ?? 0;
            const w = [`data/w${s.n}`, `t${s.n % 2}`];
            const req = [
              msg(XS_WRITE, id, 0, `data/k${s.n}`, "v"),
              msg(XS_WATCH, id, 0, ...w),
              msg(XS_UNWATCH, id, 0, ...w),
              msg(XS_TRANSACTION_START, id, 0, ""),
              msg(XS_WRITE, id, tx, `data/k${s.n}`, "v"),
              msg(XS_TRANSACTION_END, id, tx, "T"),
              msg(XS_READ, id, tx, `data/k${s.n}`),
            ][s.kind];
            sent.push(id);
            sentReqs.set(id, req);
            apply(l.request(req));
          } else if (s.k === "answer") {
            for (let i = 0; i < s.n && store.queue.length > 0; i++) answer();
          } else {
            // Maybe while the previous one is still taking the watches again.
            store = new ModelStore();
            apply(l.connected());
            if (s.settle) {
              // Once everything is answered, the new store has the guest's watches.
              while (store.queue.length > 0) answer();
              expect([...store.watches].sort()).toEqual([...watches].sort());
            }
          }
        }
        while (store.queue.length > 0) answer();
        // Every request got exactly one reply, in request order; the watches are the guest's.
        expect(got).toEqual(sent);
        expect(l.outstanding).toBe(0);
        expect([...store.watches].sort()).toEqual([...watches].sort());
        expect(l.activeWatches()).toEqual([...watches].sort());
      }),
      { numRuns: 500 },
    );
  });
});

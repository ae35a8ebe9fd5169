import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestMemory } from "../guest-memory.js";
import { GUEST_RAM_HOST_BASE } from "../../public/kernel-abi.js";
import { SH_EVTCHN_PENDING } from "../../public/xen/shared-info.js";
import {
  XENSTORE_CONNECTED, XENSTORE_RECONNECT, XENSTORE_RING_SIZE, XENSTORE_SERVER_FEATURE_RECONNECTION, XS_RING_CONNECTION,
  XS_RING_REQ, XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP, XS_RING_RSP_CONS, XS_RING_RSP_PROD,
  XS_RING_SERVER_FEATURES,
} from "../../public/xen/xenstore-ring.js";
import { XS_READ, XS_RESET_WATCHES, XS_WATCH, XS_WATCH_EVENT, XS_WRITE } from "../../public/xs-wire.js";
import { encodeMessage, joinStrings } from "../../../services/store/wire.js";
import { PostedSends } from "./posted-sends.js";
import { ForeignPages } from "../foreign-pages.js";
import { PvDomain } from "./pv-domain.js";
import { pvLayout } from "./pv-layout.js";
import { XenstoreRing } from "./xenstore-ring.js";
import { pack, unpack } from "msgpackr";
import type { PvState } from "../../public/machine-state.js";

const RAM = 1024 * 1024;
const UUID = "aa6969f3-8012-24f0-1e3a-35f150001950";

/** A stand-in for the store's domain socket: what arrives, and the connection to answer on. */
class FakeStore {
  received = Buffer.alloc(0);
  socket: Socket | undefined;
  ended = false;
  private constructor(readonly server: Server) {}

  static async listen(path: string): Promise<FakeStore> {
    let store!: FakeStore;
    const server = createServer((s) => {
      store.socket = s;
      s.on("data", (b: Buffer) => (store.received = Buffer.concat([store.received, b])));
      s.on("end", () => (store.ended = true));
      s.on("error", () => {});
    });
    store = new FakeStore(server);
    await new Promise<void>((r) => server.listen(path, r));
    return store;
  }

  close(): Promise<void> {
    this.socket?.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let dirs: string[] = [];
let stores: FakeStore[] = [];
let rings: XenstoreRing[] = [];
afterEach(async () => {
  for (const r of rings) r.close();
  for (const s of stores) await s.close();
  rings = [];
  stores = [];
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A domain with its relay; `from`: a saved domain's memory and PV state, as a restore brings them. */
function setup(from?: { readonly linear: Uint8Array; readonly pv: PvState }) {
  const dir = mkdtempSync(join(tmpdir(), "domus-xsr-"));
  dirs.push(dir);
  const path = join(dir, "domains.sock");
  const pages = Math.ceil((GUEST_RAM_HOST_BASE + RAM) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const linear = new Uint8Array(memory.buffer);
  if (from !== undefined) linear.set(from.linear);
  const mem = new GuestMemory(() => linear, RAM);
  const layout = pvLayout(RAM);
  const hooks = { console: () => {}, wake: () => {}, atHome: (work: () => void) => work() };
  const dom = new PvDomain(5, mem, layout, hooks, new PostedSends(() => linear), { memory, foreign: new ForeignPages(memory) }, from?.pv);
  const ring = new XenstoreRing(dom, { name: "guest", uuid: UUID, memoryKiB: 1024, vcpus: 2 }, path, () => {});
  dom.storeRing = ring; // as the hypervisor keeps it
  rings.push(ring);
  const page = mem.dataView(layout.xenstore, 4096);
  const sh = mem.dataView(layout.sharedInfo, 4096);
  /** The guest producing into `req`. */
  const produce = (bytes: Buffer): void => {
    let prod = page.getUint32(XS_RING_REQ_PROD, true);
    for (const b of bytes) page.setUint8(XS_RING_REQ + (prod++ & (XENSTORE_RING_SIZE - 1)), b);
    page.setUint32(XS_RING_REQ_PROD, prod >>> 0, true);
  };
  /** The guest consuming everything in `rsp`. */
  const consume = (): Buffer => {
    let cons = page.getUint32(XS_RING_RSP_CONS, true);
    const prod = page.getUint32(XS_RING_RSP_PROD, true);
    const out: number[] = [];
    while (cons !== prod) out.push(page.getUint8(XS_RING_RSP + (cons++ & (XENSTORE_RING_SIZE - 1))));
    page.setUint32(XS_RING_RSP_CONS, cons >>> 0, true);
    return Buffer.from(out);
  };
  const storePending = (): boolean => (sh.getBigUint64(SH_EVTCHN_PENDING, true) & (1n << BigInt(dom.storePort))) !== 0n;
  const clearPending = (): void => sh.setBigUint64(SH_EVTCHN_PENDING, 0n, true);
  return { path, linear, dom, ring, page, produce, consume, storePending, clearPending };
}

const read = (path: string, reqId: number): Buffer => encodeMessage(XS_READ, reqId, 0, joinStrings([path]));

describe("the xenstore ring relay", () => {
  it("introduces the domain, then forwards whole requests only", async () => {
    const t = setup();
    const store = await FakeStore.listen(t.path);
    stores.push(store);
    const msg = read("data/hello", 1);
    t.produce(msg.subarray(0, 10));
    t.ring.notify();
    await until("the hello", () => store.received.includes(0x0a));
    const nl = store.received.indexOf(0x0a);
    expect(JSON.parse(store.received.toString("utf8", 0, nl))).toEqual({
      domid: 5, name: "guest", mfn: String(t.dom.layout.xenstore / 4096), port: t.dom.storePort,
      uuid: UUID, memoryKiB: 1024, vcpus: 2, consoleMfn: String(t.dom.layout.console / 4096), consolePort: t.dom.consolePort,
    });
    // The ring was emptied (the guest may go on), but half a message is not sent.
    expect(t.page.getUint32(XS_RING_REQ_CONS, true)).toBe(10);
    await new Promise((r) => setTimeout(r, 50));
    expect(store.received.length).toBe(nl + 1);
    t.produce(msg.subarray(10));
    t.ring.notify();
    await until("the request", () => store.received.length === nl + 1 + msg.length);
    expect(store.received.subarray(nl + 1)).toEqual(msg);
  });

  it("holds back replies that do not fit in rsp until the guest takes some", async () => {
    const t = setup();
    const store = await FakeStore.listen(t.path);
    stores.push(store);
    t.ring.notify();
    await until("the connection", () => store.socket !== undefined);
    const events = [0, 1, 2].map((i) => encodeMessage(XS_WATCH_EVENT, 0, 0, joinStrings([`data/${"x".repeat(600)}`, `t${i}`])));
    const all = Buffer.concat(events);
    t.clearPending();
    store.socket!.write(all);
    await until("the ring to fill", () => t.page.getUint32(XS_RING_RSP_PROD, true) === XENSTORE_RING_SIZE);
    expect(t.storePending()).toBe(true);
    // Never more than the ring holds at once; the rest follows as the guest makes room.
    let got = t.consume();
    await until("every reply", () => {
      expect((t.page.getUint32(XS_RING_RSP_PROD, true) - t.page.getUint32(XS_RING_RSP_CONS, true)) >>> 0).toBeLessThanOrEqual(XENSTORE_RING_SIZE);
      t.ring.notify();
      got = Buffer.concat([got, t.consume()]);
      return got.length >= all.length;
    });
    expect(got).toEqual(all);
  });

  it("waits for a store that is not there yet, keeping the requests in the ring", async () => {
    const t = setup();
    const msg = read("domid", 7);
    t.produce(msg);
    t.ring.notify();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.page.getUint32(XS_RING_REQ_CONS, true)).toBe(0);
    const store = await FakeStore.listen(t.path);
    stores.push(store);
    await until("the request after reconnecting", () => store.received.subarray(store.received.indexOf(0x0a) + 1).equals(msg));
    expect(t.page.getUint32(XS_RING_REQ_CONS, true)).toBe(msg.length);
  });

  it("carries the ring on across a store restart: unanswered requests and watches go again", async () => {
    const t = setup();
    const store = await FakeStore.listen(t.path);
    stores.push(store);
    const afterHello = (): Buffer => store.received.subarray(store.received.indexOf(0x0a) + 1);
    const watch = encodeMessage(XS_WATCH, 1, 0, joinStrings(["data/poke", "poke"]));
    t.produce(watch);
    t.ring.notify();
    await until("the watch", () => afterHello().equals(watch));
    const watchOk = encodeMessage(XS_WATCH, 1, 0, joinStrings(["OK"]));
    store.socket!.write(watchOk);
    await until("the watch's reply", () => t.page.getUint32(XS_RING_RSP_PROD, true) === watchOk.length);
    expect(t.consume()).toEqual(watchOk);
    const write = encodeMessage(XS_WRITE, 2, 0, joinStrings(["data/hello", "world"]));
    t.produce(write);
    t.ring.notify();
    await until("the write", () => afterHello().equals(Buffer.concat([watch, write])));

    // The store dies with the write unanswered; the relay connects again on its own.
    const old = store.socket!;
    store.received = Buffer.alloc(0);
    old.destroy();
    const again = encodeMessage(XS_WATCH, 0, 0, joinStrings(["data/poke", "poke"]));
    await until("the watch and the write again", () => store.socket !== old && afterHello().equals(Buffer.concat([again, write])));
    // The registration's reply is the relay's; the event and the write's reply are the guest's.
    const event = encodeMessage(XS_WATCH_EVENT, 0, 0, joinStrings(["data/poke", "poke"]));
    const writeOk = encodeMessage(XS_WRITE, 2, 0, joinStrings(["OK"]));
    store.socket!.write(Buffer.concat([encodeMessage(XS_WATCH, 0, 0, joinStrings(["OK"])), event, writeOk]));
    let got = Buffer.alloc(0);
    await until("the replies", () => (got = Buffer.concat([got, t.consume()])).length >= event.length + writeOk.length);
    expect(got).toEqual(Buffer.concat([event, writeOk]));
  });

  it("saved with the domain, goes on in a restored one: connects at once, watches and unanswered requests go again", async () => {
    const t = setup();
    const store = await FakeStore.listen(t.path);
    stores.push(store);
    const afterHello = (s: FakeStore): Buffer => s.received.subarray(s.received.indexOf(0x0a) + 1);
    const watch = encodeMessage(XS_WATCH, 1, 0, joinStrings(["data/poke", "poke"]));
    t.produce(watch);
    t.ring.notify();
    await until("the watch", () => afterHello(store).equals(watch));
    store.socket!.write(encodeMessage(XS_WATCH, 1, 0, joinStrings(["OK"])));
    await until("the watch's reply", () => t.page.getUint32(XS_RING_RSP_PROD, true) !== 0);
    t.consume();
    const write = encodeMessage(XS_WRITE, 2, 0, joinStrings(["data/hello", "world"]));
    const half = read("data/half", 3);
    t.produce(Buffer.concat([write, half.subarray(0, 7)]));
    t.ring.notify();
    await until("the write", () => afterHello(store).equals(Buffer.concat([watch, write])));
    const saved: PvState = unpack(pack(t.dom.saveState()));
    t.ring.close();

    // Elsewhere: the same memory and PV state, a store that never heard of the domain.
    const r = setup({ linear: t.linear, pv: saved });
    const there = await FakeStore.listen(r.path);
    stores.push(there);
    const again = encodeMessage(XS_WATCH, 0, 0, joinStrings(["data/poke", "poke"]));
    await until("the watch and the write, unprompted", () => there.received.includes(0x0a) && afterHello(there).equals(Buffer.concat([again, write])));
    r.produce(half.subarray(7));
    r.ring.notify();
    await until("the rest of the half request", () => afterHello(there).equals(Buffer.concat([again, write, half])));
    const writeOk = encodeMessage(XS_WRITE, 2, 0, joinStrings(["OK"]));
    there.socket!.write(Buffer.concat([encodeMessage(XS_WATCH, 0, 0, joinStrings(["OK"])), writeOk]));
    let got = Buffer.alloc(0);
    await until("the write's reply", () => (got = Buffer.concat([got, r.consume()])).length >= writeOk.length);
    expect(got).toEqual(writeOk);
  });

  it("offers ring reconnection: a RECONNECT empties the ring and forgets the guest's requests and watches", async () => {
    const t = setup();
    expect(t.page.getUint32(XS_RING_SERVER_FEATURES, true) & XENSTORE_SERVER_FEATURE_RECONNECTION).toBe(XENSTORE_SERVER_FEATURE_RECONNECTION);
    const store = await FakeStore.listen(t.path);
    stores.push(store);
    const afterHello = (): Buffer => store.received.subarray(store.received.indexOf(0x0a) + 1);
    const watch = encodeMessage(XS_WATCH, 1, 0, joinStrings(["data/poke", "poke"]));
    t.produce(watch);
    t.ring.notify();
    await until("the watch", () => afterHello().equals(watch));
    store.socket!.write(encodeMessage(XS_WATCH, 1, 0, joinStrings(["OK"])));
    await until("the watch's reply", () => t.page.getUint32(XS_RING_RSP_PROD, true) !== 0);
    // An unanswered write, half a request, and a reply the guest has not taken.
    const write = encodeMessage(XS_WRITE, 2, 0, joinStrings(["data/hello", "world"]));
    t.produce(write);
    t.ring.notify();
    await until("the write", () => afterHello().equals(Buffer.concat([watch, write])));
    t.produce(read("data/half", 3).subarray(0, 7));

    t.page.setUint32(XS_RING_CONNECTION, XENSTORE_RECONNECT, true);
    t.clearPending();
    t.ring.notify();
    expect(t.page.getUint32(XS_RING_CONNECTION, true)).toBe(XENSTORE_CONNECTED);
    for (const off of [XS_RING_REQ_CONS, XS_RING_REQ_PROD, XS_RING_RSP_CONS, XS_RING_RSP_PROD]) expect(t.page.getUint32(off, true)).toBe(0);
    expect(t.storePending()).toBe(true);
    // The store is told to drop the connection's watches and transactions.
    const resetWatches = encodeMessage(XS_RESET_WATCHES, 0, 0, Buffer.alloc(0));
    await until("RESET_WATCHES", () => afterHello().equals(Buffer.concat([watch, write, resetWatches])));

    // The write's reply and the reset's are dropped; the guest's new request is answered.
    const again = read("domid", 4);
    t.produce(again);
    t.ring.notify();
    await until("the new request", () => afterHello().equals(Buffer.concat([watch, write, resetWatches, again])));
    const answer = encodeMessage(XS_READ, 4, 0, Buffer.from("5"));
    store.socket!.write(Buffer.concat([
      encodeMessage(XS_WRITE, 2, 0, joinStrings(["OK"])), encodeMessage(XS_RESET_WATCHES, 0, 0, joinStrings(["OK"])), answer,
    ]));
    let got = Buffer.alloc(0);
    await until("the answer", () => (got = Buffer.concat([got, t.consume()])).length >= answer.length);
    expect(got).toEqual(answer);

    // The watch is gone for good: a store restart registers nothing again.
    const old = store.socket!;
    store.received = Buffer.alloc(0);
    old.destroy();
    await until("the new connection", () => store.socket !== old && store.received.includes(0x0a));
    await new Promise((r) => setTimeout(r, 50));
    expect(afterHello().length).toBe(0);
  });

  it("ends the connection when the domain goes (the store then releases it)", async () => {
    const t = setup();
    const store = await FakeStore.listen(t.path);
    stores.push(store);
    t.ring.notify();
    await until("the connection", () => store.socket !== undefined);
    t.ring.close();
    await until("the end", () => store.ended);
  });
});

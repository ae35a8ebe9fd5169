// Durability: the store is killed with SIGKILL 20 times in a row while clients write; after
// each restart every write it acknowledged is there, and clients reconnect and re-register
// their watches.

import { describe, expect, it } from "vitest";
import { XS_CONTROL } from "../../kernel/public/xs-wire.js";
import { XsClient, XsClientError } from "../../services/store/client.js";
import { StoreProcess, tempHome } from "./support.js";

const KILLS = 20;
const WRITERS = 4;

interface Acked {
  /** key -> value, for every write the store acknowledged. */
  values: Map<string, string>;
  /** Transactions acknowledged: both of their keys must be there. */
  transactions: string[];
  /** Highest counter value acknowledged (the counter is overwritten, never lower). */
  counter: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads every acknowledged key (pipelined) and checks it. */
async function verify(client: XsClient, acked: Acked): Promise<void> {
  const keys = [...acked.values.keys()];
  for (let i = 0; i < keys.length; i += 256) {
    const batch = keys.slice(i, i + 256);
    const got = await Promise.all(batch.map((k) => client.read(k).then((b) => b.toString(), (e: Error) => e.message)));
    batch.forEach((k, j) => expect(got[j], k).toBe(acked.values.get(k)));
  }
  for (const t of acked.transactions) {
    expect((await client.read(`${t}/a`)).toString()).toBe((await client.read(`${t}/b`)).toString());
  }
  if (acked.counter > 0) expect(Number((await client.read("/load/counter")).toString())).toBeGreaterThanOrEqual(acked.counter);
}

/** Writes until the connection dies; records what the store acknowledged. */
async function writeLoad(client: XsClient, cycle: number, writer: number, acked: Acked): Promise<void> {
  for (let i = 0; ; i++) {
    const key = `/load/c${cycle}/w${writer}/k${i}`;
    const value = `${cycle}.${writer}.${i}`;
    try {
      if (writer === 0) {
        await client.write("/load/counter", String(cycle * 100_000 + i));
        acked.counter = Math.max(acked.counter, cycle * 100_000 + i);
      } else if (writer === 1) {
        const tx = await client.transactionStart();
        await client.write(`${key}/a`, value, tx);
        await client.write(`${key}/b`, value, tx);
        await client.transactionEnd(tx);
        acked.transactions.push(key);
      } else {
        await client.write(key, value);
        acked.values.set(key, value);
      }
    } catch (e) {
      if (e instanceof XsClientError && e.code === "EAGAIN") continue;
      return; // killed
    }
  }
}

describe("kill -9 under a write load", () => {
  it(`loses no acknowledged write across ${KILLS} kills, with compaction along the way`, async () => {
    const { home, remove } = tempHome();
    const acked: Acked = { values: new Map(), transactions: [], counter: 0 };
    let events = 0;
    try {
      for (let cycle = 0; cycle <= KILLS; cycle++) {
        const store = await StoreProcess.start(home, ["--compact-bytes", "32768"]);
        const checker = await XsClient.connect(store.socket);
        await verify(checker, acked);
        if (cycle === KILLS) {
          expect((await checker.request(XS_CONTROL, Buffer.from("check\0"))).toString()).toBe("OK\0");
          checker.close();
          expect((await store.stop()).code).toBe(0);
          break;
        }

        // A watcher registers again after every restart, and hears the load.
        const watcher = await XsClient.connect(store.socket);
        const heard: string[] = [];
        watcher.onWatch = (path) => heard.push(path);
        await watcher.watch("/load", "load");
        const writers = await Promise.all(Array.from({ length: WRITERS }, () => XsClient.connect(store.socket)));
        const load = writers.map((w, i) => writeLoad(w, cycle, i, acked));
        await sleep(120 + Math.random() * 150);
        await store.kill9();
        await Promise.all(load);
        for (const c of [checker, watcher, ...writers]) c.close();
        expect(heard[0]).toBe("/load");
        events += heard.length;
      }
      expect(acked.values.size).toBeGreaterThan(KILLS * 10);
      expect(acked.transactions.length).toBeGreaterThan(KILLS);
      expect(events).toBeGreaterThan(KILLS * 10);
    } finally {
      remove();
    }
  });
});

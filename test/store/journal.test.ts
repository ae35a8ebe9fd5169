// The store's files after crashes at awkward moments: a torn last record, an interrupted
// compaction, and real damage (which must stop the store rather than lose data quietly).

import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { XS_READ, XS_WATCH, XS_WRITE } from "../../kernel/public/xs-wire.js";
import { joinStrings } from "../../services/store/wire.js";
import { Store } from "../../services/store/core.js";
import { CorruptStoreError, StoreLockedError } from "../../services/store/journal.js";
import { TestClient } from "./in-process.js";
import { tempHome } from "./support.js";

let dir: { home: string; remove: () => void };
let logged: string[];

beforeEach(() => {
  dir = tempHome();
  logged = [];
});

afterEach(() => dir.remove());

const open = (compactBytes?: number): Store => Store.open({ dir: dir.home, log: (m) => logged.push(m), compactBytes });

async function writeSome(n: number, compactBytes?: number): Promise<void> {
  const store = open(compactBytes);
  const c = new TestClient(store, 0);
  for (let i = 0; i < n; i++) expect(await c.set(`/j/k${i}`, `v${i}`)).toBe("WRITE:OK|");
  await store.close();
}

async function readAll(store: Store, n: number): Promise<string[]> {
  const c = new TestClient(store, 0);
  const out = [];
  for (let i = 0; i < n; i++) out.push(await c.ask(XS_READ, [`/j/k${i}`]));
  return out;
}

const journals = (): string[] => readdirSync(dir.home).filter((f) => f.startsWith("journal.")).sort();

describe("the store directory's lock", () => {
  it("keeps out a second store while the first runs, and is released on close", async () => {
    const first = open();
    expect(() => open()).toThrow(StoreLockedError);
    await first.close();
    await open().close();
  });

  it("is taken over from a process that died (kill -9 leaves it behind)", async () => {
    await writeSome(1);
    // No process has this pid: Linux pids stay below 2^22.
    writeFileSync(join(dir.home, "lock"), "4194999\n");
    const store = open();
    expect(await readAll(store, 1)).toEqual(["READ:v0"]);
    await store.close();
  });
});

describe("journal recovery", () => {
  it("cuts off a torn last record, keeps everything before it, and goes on appending", async () => {
    await writeSome(5);
    const [file] = journals();
    appendFileSync(join(dir.home, file), Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, 5]));
    let store = open();
    expect(logged.some((l) => l.includes("cutting off an unfinished record"))).toBe(true);
    expect(await readAll(store, 5)).toEqual([0, 1, 2, 3, 4].map((i) => `READ:v${i}`));
    const c = new TestClient(store, 0);
    expect(await c.set("/j/k5", "v5")).toBe("WRITE:OK|");
    await store.close();
    store = open();
    expect(await readAll(store, 6)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `READ:v${i}`));
    await store.close();
  });

  it("cuts off a last record whose checksum does not match (a write torn inside)", async () => {
    await writeSome(3);
    const path = join(dir.home, journals()[0]);
    const buf = readFileSync(path);
    buf[buf.length - 1] ^= 0xff;
    writeFileSync(path, buf);
    const store = open();
    expect(await readAll(store, 3)).toEqual(["READ:v0", "READ:v1", "ERROR:ENOENT|"]);
    await store.close();
  });

  it("refuses to start on a damaged record with intact ones after it", async () => {
    await writeSome(3);
    const path = join(dir.home, journals()[0]);
    const buf = readFileSync(path);
    buf[8 + 8 + 2] ^= 0xff; // inside the first record's payload
    writeFileSync(path, buf);
    expect(() => open()).toThrow(CorruptStoreError);
  });

  it("refuses to start on a damaged snapshot", async () => {
    await writeSome(1);
    const path = join(dir.home, "snapshot");
    const buf = readFileSync(path);
    buf[buf.length - 3] ^= 0xff;
    writeFileSync(path, buf);
    expect(() => open()).toThrow(CorruptStoreError);
  });

  it("compacts into a snapshot and a fresh journal, and reads both back", async () => {
    await writeSome(50, 512);
    expect(journals()).toHaveLength(1);
    expect(Number(journals()[0].split(".")[1])).toBeGreaterThan(2);
    const store = open();
    expect(await readAll(store, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `READ:v${i}`));
    await store.close();
  });

  it("finishes an interrupted compaction: a stale journal and snapshot.tmp are dropped", async () => {
    await writeSome(4);
    const [file] = journals();
    const seq = Number(file.split(".")[1]);
    // As if compaction had written the new snapshot but died before removing the old journal.
    writeFileSync(join(dir.home, `journal.${seq - 1}`), "DXSJRNL1garbage");
    writeFileSync(join(dir.home, "snapshot.tmp"), "half a snapshot");
    const store = open();
    expect(await readAll(store, 4)).toEqual(["READ:v0", "READ:v1", "READ:v2", "READ:v3"]);
    expect(journals()).toEqual([file]);
    expect(readdirSync(dir.home)).not.toContain("snapshot.tmp");
    await store.close();
  });

  it("starts on a journal cut short before its header was complete", async () => {
    await writeSome(1);
    const [file] = journals();
    writeFileSync(join(dir.home, file), "DXS");
    const store = open();
    expect(await new TestClient(store, 0).ask(XS_READ, ["/local/domain/0/name"])).toBe("READ:Domain-0");
    await store.close();
  });
});

describe("replies and the disk", () => {
  it("what shows a change waits until the change is on disk; the rest leaves at once", async () => {
    const store = open();
    const [writer, reader, other, watcher] = [0, 0, 0, 0].map((d) => new TestClient(store, d));
    await writer.set("/d/old", "1");
    await watcher.ask(XS_WATCH, ["/d/new", "w"]);
    watcher.events();

    const write = writer.send(XS_WRITE, Buffer.concat([joinStrings(["/d/new"]), Buffer.from("2")]));
    const sees = reader.send(XS_READ, ["/d/new"]);
    const behind = reader.send(XS_READ, ["/d/old"]); // durable, but after `sees` on its connection
    const old = other.send(XS_READ, ["/d/old"]);
    const absent = other.send(XS_READ, ["/d/none"]); // its parent /d just gained a child
    // Nothing has reached the disk yet (that happens after this turn of the event loop).
    expect(writer.inbox).toHaveLength(0);
    expect(reader.inbox).toHaveLength(0);
    expect(watcher.inbox).toHaveLength(0);
    expect(other.inbox.map((m) => m.reqId)).toEqual([old]);

    expect(await writer.reply(write)).toBe("WRITE:OK|");
    expect(await reader.reply(sees)).toBe("READ:2");
    expect(await reader.reply(behind)).toBe("READ:1");
    expect(await other.reply(absent)).toBe("ERROR:ENOENT|");
    expect(watcher.events()).toEqual(["/d/new|w"]);
    await store.close();
  });
});

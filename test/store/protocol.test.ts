// The wire protocol over the store's real socket: every message type's reply, Xen's error
// names, and malformed input (each answered with an error or a closed connection, while other
// clients carry on).

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  XENSTORE_PAYLOAD_MAX, XS_CONTROL, XS_DIRECTORY, XS_DIRECTORY_PART, XS_ERROR, XS_GET_DOMAIN_PATH,
  XS_GET_PERMS, XS_HEADER_SIZE, XS_INTRODUCE, XS_INVALID, XS_IS_DOMAIN_INTRODUCED, XS_MKDIR,
  XS_READ, XS_RELEASE, XS_RESET_WATCHES, XS_RESUME, XS_RM, XS_SET_PERMS, XS_SET_TARGET,
  XS_TRANSACTION_END, XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
} from "../../kernel/public/xs-wire.js";
import { encodeMessage, joinStrings, TYPE_NAMES } from "../../services/store/wire.js";
import { RawConnection, shown, StoreProcess, tempHome } from "./support.js";

let store: StoreProcess;
let cleanup: () => void;
let c: RawConnection;

beforeAll(async () => {
  const t = tempHome();
  cleanup = t.remove;
  store = await StoreProcess.start(t.home);
  c = await RawConnection.connect(store.socket);
});

afterAll(async () => {
  c.close();
  const { code } = await store.stop();
  expect(code).toBe(0);
  cleanup();
});

/** The reply as "TYPE:payload" with NULs shown as "|". */
async function ask(conn: RawConnection, type: number, args: string[] | Buffer, tx = 0): Promise<string> {
  const r = await conn.request(type, args, tx);
  return `${TYPE_NAMES.get(r.type)}:${shown(r.text)}`;
}

const q = (type: number, args: string[] | Buffer, tx = 0): Promise<string> => ask(c, type, args, tx);

/** A WRITE payload: the path with its NUL, then the value without one. */
const wr = (path: string, value: string): Buffer => Buffer.concat([joinStrings([path]), Buffer.from(value)]);

describe("message types", () => {
  it("WRITE, READ, MKDIR, DIRECTORY, RM", async () => {
    const data = Buffer.from([1, 0, 2, 255]);
    expect(await q(XS_WRITE, Buffer.concat([joinStrings(["/p/bin"]), data]))).toBe("WRITE:OK|");
    expect((await c.request(XS_READ, ["/p/bin"])).payload).toEqual(data);
    expect(await q(XS_READ, ["/p/none"])).toBe("ERROR:ENOENT|");
    expect(await q(XS_MKDIR, ["/p/dir/sub"])).toBe("MKDIR:OK|");
    expect(await q(XS_MKDIR, ["/p/dir/sub"])).toBe("MKDIR:OK|");
    expect(await q(XS_READ, ["/p/dir"])).toBe("READ:");
    expect(await q(XS_WRITE, wr("/p/zz", ""))).toBe("WRITE:OK|");
    expect(await q(XS_DIRECTORY, ["/p"])).toBe("DIRECTORY:bin|dir|zz|");
    expect(await q(XS_DIRECTORY, ["/p/zz"])).toBe("DIRECTORY:");
    expect(await q(XS_RM, ["/p/dir"])).toBe("RM:OK|");
    expect(await q(XS_RM, ["/p/dir"])).toBe("RM:OK|"); // gone, but its parent exists
    expect(await q(XS_RM, ["/p/dir/sub"])).toBe("ERROR:ENOENT|");
    expect(await q(XS_RM, ["/"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_DIRECTORY, ["/p"])).toBe("DIRECTORY:bin|zz|");
  });

  it("replies echo the request id and transaction id", async () => {
    c.send(encodeMessage(XS_GET_DOMAIN_PATH, 0xdeadbeef, 0, joinStrings(["3"])));
    const m = await c.next((x) => x.reqId === 0xdeadbeef);
    expect([m.type, m.txId, shown(m.payload.toString())]).toEqual([XS_GET_DOMAIN_PATH, 0, "/local/domain/3|"]);
  });

  it("GET_PERMS and SET_PERMS", async () => {
    await q(XS_WRITE, wr("/perm/x", "1"));
    expect(await q(XS_GET_PERMS, ["/perm/x"])).toBe("GET_PERMS:n0|");
    expect(await q(XS_SET_PERMS, ["/perm/x", "b5", "r7", "n9"])).toBe("SET_PERMS:OK|");
    expect(await q(XS_GET_PERMS, ["/perm/x"])).toBe("GET_PERMS:b5|r7|n9|");
    expect(await q(XS_SET_PERMS, ["/perm/x", "x5"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_SET_PERMS, ["/perm/x", "r"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_SET_PERMS, ["/perm/x", "r65536"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_SET_PERMS, ["/perm/x"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_SET_PERMS, ["/perm/none", "n0"])).toBe("ERROR:ENOENT|");
    expect(await q(XS_GET_PERMS, ["@releaseDomain"])).toBe("GET_PERMS:n0|");
  });

  it("domain paths and introduction", async () => {
    expect(await q(XS_GET_DOMAIN_PATH, ["0"])).toBe("GET_DOMAIN_PATH:/local/domain/0|");
    expect(await q(XS_GET_DOMAIN_PATH, ["x1"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_IS_DOMAIN_INTRODUCED, ["0"])).toBe("IS_DOMAIN_INTRODUCED:T|");
    expect(await q(XS_IS_DOMAIN_INTRODUCED, ["7"])).toBe("IS_DOMAIN_INTRODUCED:F|");
    expect(await q(XS_WATCH, ["@introduceDomain", "in"])).toBe("WATCH:OK|");
    expect(await q(XS_WATCH, ["@releaseDomain", "out"])).toBe("WATCH:OK|");
    expect(await q(XS_INTRODUCE, ["7", "12345", "3"])).toBe("INTRODUCE:OK|");
    expect(await q(XS_INTRODUCE, ["7", "12345", "3"])).toBe("INTRODUCE:OK|"); // again: no second event
    expect(await q(XS_IS_DOMAIN_INTRODUCED, ["7"])).toBe("IS_DOMAIN_INTRODUCED:T|");
    expect(await q(XS_RESUME, ["7"])).toBe("RESUME:OK|");
    expect(await q(XS_SET_TARGET, ["7", "0"])).toBe("SET_TARGET:OK|");
    expect(await q(XS_RELEASE, ["7"])).toBe("RELEASE:OK|");
    expect(await q(XS_RELEASE, ["7"])).toBe("ERROR:ENOENT|");
    expect(await q(XS_RESUME, ["7"])).toBe("ERROR:ENOENT|");
    expect(await q(XS_INTRODUCE, ["0", "1", "1"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_INTRODUCE, ["8", "1"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_INTRODUCE, ["8", "1", "0"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_INTRODUCE, ["32752", "1", "1"])).toBe("ERROR:EINVAL|"); // DOMID_FIRST_RESERVED
    expect(c.events()).toEqual(["@introduceDomain|in", "@releaseDomain|out", "@introduceDomain|in", "@releaseDomain|out"]);
    await q(XS_UNWATCH, ["@introduceDomain", "in"]);
    await q(XS_UNWATCH, ["@releaseDomain", "out"]);
  });

  it("WATCH fires once on registration, then on changes at or below the path", async () => {
    const w = await RawConnection.connect(store.socket);
    expect(await ask(w, XS_WATCH, ["/wa", "tok"])).toBe("WATCH:OK|");
    expect(await ask(w, XS_WATCH, ["/wa", "tok"])).toBe("ERROR:EEXIST|");
    expect(await ask(w, XS_WATCH, ["rel/w", "r"])).toBe("WATCH:OK|");
    await q(XS_WRITE, wr("/wa/b/c", "1"));
    await q(XS_WRITE, wr("/wax", "1")); // not below /wa
    await q(XS_WRITE, wr("/local/domain/0/rel/w/x", "1"));
    await q(XS_RM, ["/wa"]);
    await ask(w, XS_GET_DOMAIN_PATH, ["0"]); // everything before this reply has arrived
    // Removing /wa fires watches on /wa and above; those on nodes below only if exactly there.
    expect(w.events()).toEqual(["/wa|tok", "rel/w|r", "/wa/b/c|tok", "rel/w/x|r", "/wa|tok"]);
    expect(await ask(w, XS_UNWATCH, ["/wa", "tok"])).toBe("UNWATCH:OK|");
    expect(await ask(w, XS_UNWATCH, ["/wa", "tok"])).toBe("ERROR:ENOENT|");
    expect(await ask(w, XS_UNWATCH, ["rel/w", "r"])).toBe("UNWATCH:OK|");
    w.close();
  });

  it("RESET_WATCHES drops the connection's watches and transactions", async () => {
    const w = await RawConnection.connect(store.socket);
    await ask(w, XS_WATCH, ["/reset", "t"]);
    const tx = Number((await w.request(XS_TRANSACTION_START, [""])).text.split("\0")[0]);
    expect(await ask(w, XS_RESET_WATCHES, [""])).toBe("RESET_WATCHES:OK|");
    expect(await ask(w, XS_READ, ["/local/domain/0/name"], tx)).toBe("ERROR:ENOENT|");
    await q(XS_WRITE, wr("/reset/x", "1"));
    await ask(w, XS_GET_DOMAIN_PATH, ["0"]);
    expect(w.events()).toEqual(["/reset|t"]);
    w.close();
  });

  it("transactions: isolation, commit, abort, EAGAIN on conflict", async () => {
    await q(XS_WRITE, wr("/tx/a", "1"));
    const start = async (): Promise<number> => Number((await c.request(XS_TRANSACTION_START, [""])).text.split("\0")[0]);
    const t1 = await start();
    expect(t1).toBeGreaterThan(0);
    expect(await q(XS_TRANSACTION_START, [""], t1)).toBe("ERROR:EBUSY|");
    expect(await q(XS_READ, ["/tx/a"], t1)).toBe("READ:1");
    expect(await q(XS_WRITE, wr("/tx/a", "2"), t1)).toBe("WRITE:OK|");
    expect(await q(XS_WRITE, wr("/tx/new/b", "3"), t1)).toBe("WRITE:OK|");
    expect(await q(XS_READ, ["/tx/a"])).toBe("READ:1");
    expect(await q(XS_READ, ["/tx/new/b"])).toBe("ERROR:ENOENT|");
    expect(await q(XS_DIRECTORY, ["/tx"], t1)).toBe("DIRECTORY:a|new|");
    expect(await q(XS_TRANSACTION_END, ["X"], t1)).toBe("ERROR:EINVAL|");
    expect(await q(XS_TRANSACTION_END, ["T"], t1)).toBe("TRANSACTION_END:OK|");
    expect(await q(XS_READ, ["/tx/new/b"])).toBe("READ:3");
    expect(await q(XS_READ, ["/tx/a"], t1)).toBe("ERROR:ENOENT|"); // ended

    const t2 = await start();
    await q(XS_WRITE, wr("/tx/a", "aborted"), t2);
    expect(await q(XS_TRANSACTION_END, ["F"], t2)).toBe("TRANSACTION_END:OK|");
    expect(await q(XS_READ, ["/tx/a"])).toBe("READ:2");

    const t3 = await start();
    expect(await q(XS_READ, ["/tx/a"], t3)).toBe("READ:2");
    await q(XS_WRITE, wr("/tx/a", "other"));
    expect(await q(XS_READ, ["/tx/a"], t3)).toBe("READ:2"); // still as first read
    await q(XS_WRITE, wr("/tx/c", "x"), t3);
    expect(await q(XS_TRANSACTION_END, ["T"], t3)).toBe("ERROR:EAGAIN|");
    expect(await q(XS_READ, ["/tx/c"])).toBe("ERROR:ENOENT|");

    expect(await q(XS_TRANSACTION_END, ["T"])).toBe("ERROR:ENOENT|");
  });

  it("a transaction's watch events fire when it commits", async () => {
    const w = await RawConnection.connect(store.socket);
    await ask(w, XS_WATCH, ["/txw", "t"]);
    const tx = Number((await c.request(XS_TRANSACTION_START, [""])).text.split("\0")[0]);
    await q(XS_WRITE, wr("/txw/a", "1"), tx);
    await ask(w, XS_GET_DOMAIN_PATH, ["0"]);
    expect(w.events()).toEqual(["/txw|t"]);
    await q(XS_TRANSACTION_END, ["T"], tx);
    await ask(w, XS_GET_DOMAIN_PATH, ["0"]);
    expect(w.events()).toEqual(["/txw/a|t"]);
    w.close();
  });

  it("DIRECTORY_PART returns the child list in pieces, E2BIG where DIRECTORY cannot", async () => {
    const names: string[] = [];
    for (let i = 0; i < 300; i++) names.push(`entry-number-${i}`);
    const tx = Number((await c.request(XS_TRANSACTION_START, [""])).text.split("\0")[0]);
    for (const n of names) await q(XS_WRITE, wr(`/big/${n}`, ""), tx);
    await q(XS_TRANSACTION_END, ["T"], tx);
    expect(await q(XS_DIRECTORY, ["/big"])).toBe("ERROR:E2BIG|");
    const got: string[] = [];
    let offset = 0;
    let gen: string | undefined;
    for (;;) {
      const r = await c.request(XS_DIRECTORY_PART, ["/big", String(offset)]);
      expect(r.type).toBe(XS_DIRECTORY_PART);
      expect(r.payload.length).toBeLessThanOrEqual(XENSTORE_PAYLOAD_MAX);
      const [g, ...rest] = r.text.split("\0");
      gen ??= g;
      expect(g).toBe(gen);
      rest.pop(); // after the last NUL
      const done = rest.length > 0 && rest[rest.length - 1] === "";
      if (done) rest.pop();
      got.push(...rest);
      offset += rest.reduce((n, s) => n + s.length + 1, 0);
      if (done) break;
    }
    expect(got).toEqual(names);
    expect(shown((await c.request(XS_DIRECTORY_PART, ["/big", "999999"])).text)).toBe(`${gen}||`);
    expect(await q(XS_DIRECTORY_PART, ["/big"])).toBe("ERROR:EINVAL|");
  });

  it("CONTROL", async () => {
    expect(await q(XS_CONTROL, ["check"])).toBe("CONTROL:OK|");
    expect(await q(XS_CONTROL, ["nonsense"])).toBe("ERROR:EINVAL|");
  });
});

describe("malformed input", () => {
  it("unknown and reply-only message types get ENOSYS", async () => {
    for (const type of [20, 23, 99, XS_WATCH_EVENT, XS_ERROR, XS_INVALID, 0xffffffff]) {
      expect(await q(type, ["/x"])).toBe("ERROR:ENOSYS|");
    }
  });

  it("strings without their NUL, or too few, get EINVAL", async () => {
    expect(await q(XS_READ, Buffer.from("/local"))).toBe("ERROR:EINVAL|");
    expect(await q(XS_READ, Buffer.alloc(0))).toBe("ERROR:EINVAL|");
    expect(await q(XS_READ, Buffer.from("/a\0/b\0"))).toBe("ERROR:EINVAL|");
    expect(await q(XS_WRITE, Buffer.from("/no-nul"))).toBe("ERROR:EINVAL|");
    expect(await q(XS_WATCH, ["/only-path"])).toBe("ERROR:EINVAL|");
    expect(await q(XS_WATCH, Buffer.from("/p\0tok"))).toBe("ERROR:EINVAL|");
    expect(await q(XS_GET_DOMAIN_PATH, Buffer.from("1"))).toBe("ERROR:EINVAL|");
    expect(await q(XS_INTRODUCE, Buffer.from("1\x002\x003"))).toBe("ERROR:EINVAL|");
  });

  it("invalid and over-long paths get EINVAL", async () => {
    const bad = ["", "/a b", "/a//b", "/a/", "/a\u00ff", "/é", "@introduceDomain", "/a\tb", "a/../b", `/${"x".repeat(3072)}`, "x".repeat(3060)];
    for (const path of bad) {
      expect(await q(XS_READ, [path]), JSON.stringify(path.slice(0, 20))).toBe("ERROR:EINVAL|");
      expect(await q(XS_WRITE, [path, "v"])).toBe("ERROR:EINVAL|");
    }
    expect(await q(XS_WRITE, wr(`/${"y".repeat(3071)}`, "ok"))).toBe("WRITE:OK|");
    expect(await q(XS_WATCH, ["/a//b", "t"])).toBe("ERROR:EINVAL|");
  });

  it("unknown transaction ids get ENOENT", async () => {
    expect(await q(XS_READ, ["/local"], 4242)).toBe("ERROR:ENOENT|");
    expect(await q(XS_WRITE, wr("/local/x", "1"), 4242)).toBe("ERROR:ENOENT|");
    expect(await q(XS_TRANSACTION_END, ["F"], 4242)).toBe("ERROR:ENOENT|");
    expect(await q(XS_TRANSACTION_START, [""], 4242)).toBe("ERROR:ENOENT|");
  });

  it("a payload of exactly XENSTORE_PAYLOAD_MAX is fine; one byte more closes the connection", async () => {
    const path = joinStrings(["/max"]);
    const full = Buffer.concat([path, Buffer.alloc(XENSTORE_PAYLOAD_MAX - path.length, 0x61)]);
    expect(await q(XS_WRITE, full)).toBe("WRITE:OK|");
    expect((await c.request(XS_READ, ["/max"])).payload.length).toBe(XENSTORE_PAYLOAD_MAX - path.length);

    const bad = await RawConnection.connect(store.socket);
    const header = Buffer.alloc(XS_HEADER_SIZE);
    header.writeUInt32LE(XS_WRITE, 0);
    header.writeUInt32LE(XENSTORE_PAYLOAD_MAX + 1, 12);
    bad.send(header);
    await bad.waitClosed();
    const huge = await RawConnection.connect(store.socket);
    header.writeUInt32LE(0xffffffff, 12);
    huge.send(header);
    await huge.waitClosed();
    // Everyone else is unaffected.
    expect(await q(XS_READ, ["/local/domain/0/name"])).toBe("READ:Domain-0");
  });

  it("a client that vanishes mid-message harms no one", async () => {
    const half = await RawConnection.connect(store.socket);
    half.send(encodeMessage(XS_WRITE, 1, 0, joinStrings(["/half", "data"])).subarray(0, 20));
    half.close();
    const header = await RawConnection.connect(store.socket);
    header.send(Buffer.from([1, 0, 0]));
    header.close();
    expect(await q(XS_READ, ["/half"])).toBe("ERROR:ENOENT|");
    expect(store.alive).toBe(true);
  });

  it("random frames get one reply each or a closed connection; the store stays up (property)", async () => {
    const frame = fc.record({
      type: fc.oneof(fc.constantFrom(...TYPE_NAMES.keys()), fc.integer({ min: 0, max: 0xffffffff })),
      txId: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
        fc.array(fc.stringMatching(/^[/a-z@0-9]{0,12}$/), { maxLength: 4 }).map((s) => joinStrings(s.map((x) => `/fuzz${x}`))),
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
        const f = await RawConnection.connect(store.socket);
        frames.forEach((fr, i) => f.send(encodeMessage(fr.type, i + 1, fr.txId, fr.payload)));
        for (let i = 0; i < frames.length; i++) {
          const m = await f.next((x) => x.type !== XS_WATCH_EVENT);
          expect(m.reqId).toBe(i + 1);
        }
        await f.request(XS_RESET_WATCHES, [""]);
        f.close();
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
        const f = await RawConnection.connect(store.socket);
        f.send(Buffer.from(bytes));
        // Garbage is cut into messages somehow: anything may come back, or a close; never a crash.
        await new Promise((r) => setTimeout(r, 2));
        f.close();
      }),
      { numRuns: 60 },
    );
    expect(store.alive).toBe(true);
    expect(await q(XS_CONTROL, ["check"])).toBe("CONTROL:OK|");
  });
});

// Property-based tests: the message parser, path validation, permission strings, and the
// store as a whole against a plain model, including replay of its files from disk.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  XENSTORE_ABS_PATH_MAX, XENSTORE_PAYLOAD_MAX, XS_DIRECTORY, XS_GET_PERMS, XS_MKDIR, XS_READ,
  XS_RM, XS_SET_PERMS, XS_TRANSACTION_END,
} from "../../kernel/public/xs-wire.js";
import { Store } from "../../services/store/core.js";
import { XsError } from "../../services/store/error.js";
import { canonicalize } from "../../services/store/path.js";
import { formatPerm, parsePerm } from "../../services/store/perms.js";
import {
  encodeMessage, joinStrings, MessageReader, ProtocolError, splitStrings, type XsMessage,
} from "../../services/store/wire.js";
import { TestClient } from "./in-process.js";
import { tempHome } from "./support.js";

const message = fc.record({
  type: fc.integer({ min: 0, max: 0xffffffff }),
  reqId: fc.integer({ min: 0, max: 0xffffffff }),
  txId: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.uint8Array({ maxLength: XENSTORE_PAYLOAD_MAX }).map((a) => Buffer.from(a)),
});

/** Cuts `buf` at the given (sorted, deduplicated) points. */
function cut(buf: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, buf.length]) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe("message parser", () => {
  it("reads back any messages, however the stream is cut", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (msgs, points) => {
        const stream = Buffer.concat(msgs.map((m) => encodeMessage(m.type, m.reqId, m.txId, m.payload)));
        const reader = new MessageReader();
        const got: XsMessage[] = [];
        for (const chunk of cut(stream, points)) got.push(...reader.feed(chunk));
        expect(got).toEqual(msgs);
      }),
      { numRuns: 200 },
    );
  });

  it("on any bytes, returns messages within the limit or throws ProtocolError, nothing else", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const reader = new MessageReader();
        for (const c of chunks) {
          try {
            for (const m of reader.feed(Buffer.from(c))) expect(m.payload.length).toBeLessThanOrEqual(XENSTORE_PAYLOAD_MAX);
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
            return;
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("rejects a header announcing more than XENSTORE_PAYLOAD_MAX before reading the payload", () => {
    fc.assert(
      fc.property(fc.integer({ min: XENSTORE_PAYLOAD_MAX + 1, max: 0xffffffff }), (len) => {
        const header = encodeMessage(XS_READ, 1, 0, Buffer.alloc(0));
        header.writeUInt32LE(len, 12);
        expect(() => new MessageReader().feed(header)).toThrow(ProtocolError);
      }),
    );
  });

  it("splits back joined strings", () => {
    fc.assert(
      fc.property(fc.array(fc.string().map((s) => s.replace(/\0/g, "")).map((s) => Buffer.from(s).toString("latin1"))), (strings) => {
        expect(splitStrings(joinStrings(strings))).toEqual(strings);
      }),
    );
  });
});

const segment = fc.stringMatching(/^[A-Za-z0-9\-_@]{1,12}$/);
const validAbsolute = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => `/${s.join("/")}`);

describe("path validation", () => {
  it("accepts valid absolute paths unchanged, and relative ones below the caller's home", () => {
    fc.assert(
      fc.property(validAbsolute, fc.integer({ min: 0, max: 0x7fef }), (path, domid) => {
        expect(canonicalize(path, domid, false)).toBe(path);
        const rel = path.slice(1);
        if (!rel.startsWith("@")) expect(canonicalize(rel, domid, false)).toBe(`/local/domain/${domid}/${rel}`);
      }),
    );
  });

  it("on any string, returns a well-formed absolute path or throws EINVAL", () => {
    const chars = fc.constantFrom("a", "Z", "0", "-", "_", "@", "/", "/", ".", " ", "\0", "é", "\n", "//");
    const strings = fc.oneof(fc.string(), fc.array(chars, { maxLength: 40 }).map((a) => a.join("")));
    fc.assert(
      fc.property(strings, fc.boolean(), fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }), (raw, special, pathMax) => {
        let path: string;
        try {
          path = canonicalize(raw, 3, special, pathMax);
        } catch (e) {
          expect(e).toBeInstanceOf(XsError);
          expect((e as XsError).code).toBe("EINVAL");
          return;
        }
        expect(path).toMatch(/^[A-Za-z0-9\-/_@]+$/);
        if (path.startsWith("@")) {
          expect(special).toBe(true);
          return;
        }
        expect(path.startsWith("/")).toBe(true);
        expect(path.includes("//")).toBe(false);
        expect(path === "/" || !path.endsWith("/")).toBe(true);
        expect(path.length).toBeLessThanOrEqual(XENSTORE_ABS_PATH_MAX);
      }),
      { numRuns: 2000 },
    );
  });

  it("limits the length below a domain's home to pathMax, and absolute paths to XENSTORE_ABS_PATH_MAX", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3100 }), (n) => {
        const rel = "r".repeat(n);
        const ok = (f: () => string): boolean => {
          try {
            f();
            return true;
          } catch {
            return false;
          }
        };
        expect(ok(() => canonicalize(rel, 12, false, 2048))).toBe(n <= 2048);
        expect(ok(() => canonicalize(`/${rel}`, 12, false))).toBe(n + 1 <= XENSTORE_ABS_PATH_MAX);
      }),
    );
  });
});

describe("permission strings", () => {
  it("parse and format are inverse; anything else is EINVAL", () => {
    fc.assert(
      fc.property(fc.constantFrom("n", "r", "w", "b"), fc.integer({ min: 0, max: 0xffff }), (letter, id) => {
        expect(formatPerm(parsePerm(`${letter}${id}`))).toBe(`${letter}${id}`);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), (s) => {
        try {
          expect(formatPerm(parsePerm(s))).toBe(s.replace(/^([nrwb])0*(\d)/, "$1$2"));
        } catch (e) {
          expect((e as XsError).code).toBe("EINVAL");
        }
      }),
    );
  });
});

// The model: path -> data, children in creation order, permissions (inherited on creation).
type Model = Map<string, { data: string; children: string[]; perms: string[] }>;

const modelParent = (p: string): string => p.slice(0, p.lastIndexOf("/")) || "/";

function modelWrite(m: Model, path: string, data: string | undefined): void {
  if (m.has(path)) {
    if (data !== undefined) m.get(path)!.data = data;
    return;
  }
  modelWrite(m, modelParent(path), undefined);
  const parent = m.get(modelParent(path))!;
  parent.children.push(path.slice(path.lastIndexOf("/") + 1));
  m.set(path, { data: data ?? "", children: [], perms: [...parent.perms] });
}

function modelRm(m: Model, path: string): string {
  if (!m.has(path)) return m.has(modelParent(path)) ? "RM:OK|" : "ERROR:ENOENT|";
  for (const k of [...m.keys()]) if (k === path || k.startsWith(`${path}/`)) m.delete(k);
  const parent = m.get(modelParent(path))!;
  parent.children = parent.children.filter((c) => c !== path.slice(path.lastIndexOf("/") + 1));
  return "RM:OK|";
}

const modelPath = fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 3 }).map((s) => `/m/${s.join("/")}`);
const op = fc.oneof(
  fc.record({ kind: fc.constant("write" as const), path: modelPath, data: fc.stringMatching(/^[a-z]{0,4}$/) }),
  fc.record({ kind: fc.constant("mkdir" as const), path: modelPath }),
  fc.record({ kind: fc.constant("rm" as const), path: modelPath }),
  fc.record({ kind: fc.constant("read" as const), path: modelPath }),
  fc.record({ kind: fc.constant("directory" as const), path: modelPath }),
  fc.record({ kind: fc.constant("perms" as const), path: modelPath, perms: fc.constantFrom(["n0"], ["r0", "b3"], ["b7", "n0", "w2"]) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
const step = fc.oneof(
  { weight: 4, arbitrary: op.map((o) => ({ tx: undefined, ops: [o] })) },
  { weight: 1, arbitrary: fc.record({ tx: fc.boolean(), ops: fc.array(op, { maxLength: 5 }) }) },
);

async function apply(client: TestClient, m: Model, o: Op, tx: number): Promise<void> {
  const payload = (p: string): string[] => [p];
  switch (o.kind) {
    case "write":
      expect(await client.set(o.path, o.data, tx)).toBe("WRITE:OK|");
      modelWrite(m, o.path, o.data);
      return;
    case "mkdir":
      expect(await client.ask(XS_MKDIR, payload(o.path), tx)).toBe("MKDIR:OK|");
      modelWrite(m, o.path, undefined);
      return;
    case "rm":
      expect(await client.ask(XS_RM, payload(o.path), tx)).toBe(modelRm(m, o.path));
      return;
    case "read":
      expect(await client.ask(XS_READ, payload(o.path), tx)).toBe(m.has(o.path) ? `READ:${m.get(o.path)!.data}` : "ERROR:ENOENT|");
      return;
    case "directory":
      expect(await client.ask(XS_DIRECTORY, payload(o.path), tx)).toBe(
        m.has(o.path) ? `DIRECTORY:${m.get(o.path)!.children.map((c) => `${c}|`).join("")}` : "ERROR:ENOENT|",
      );
      return;
    case "perms":
      expect(await client.ask(XS_SET_PERMS, [o.path, ...o.perms], tx)).toBe(m.has(o.path) ? "SET_PERMS:OK|" : "ERROR:ENOENT|");
      if (m.has(o.path)) m.get(o.path)!.perms = [...o.perms];
  }
}

/** Every node below /m as "path=data[children](perms)", walking children in order. */
async function dump(client: TestClient, path = "/m"): Promise<string[]> {
  const data = await client.ask(XS_READ, [path]);
  if (data.startsWith("ERROR")) return [];
  const dir = (await client.ask(XS_DIRECTORY, [path])).replace(/^DIRECTORY:/, "");
  const children = dir.split("|").slice(0, -1);
  const perms = (await client.ask(XS_GET_PERMS, [path])).replace(/^GET_PERMS:/, "").split("|").slice(0, -1);
  const out = [`${path}=${data.replace(/^READ:/, "")}[${children.join(",")}](${perms.join(",")})`];
  for (const c of children) out.push(...(await dump(client, `${path}/${c}`)));
  return out;
}

function modelDump(m: Model, path = "/m"): string[] {
  const node = m.get(path);
  if (!node) return [];
  return [`${path}=${node.data}[${node.children.join(",")}](${node.perms.join(",")})`, ...node.children.flatMap((c) => modelDump(m, `${path}/${c}`))];
}

describe("the store against a model", () => {
  it("agrees on every reply, and reads back the same tree from disk after a restart", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.boolean(), async (steps, compact) => {
        const dir = tempHome();
        // A tiny compaction threshold makes snapshots happen mid-sequence.
        const open = (): Store => Store.open({ dir: dir.home, compactBytes: compact ? 200 : undefined });
        let store = open();
        try {
          const client = new TestClient(store, 0);
          const model: Model = new Map([["/", { data: "", children: [], perms: ["n0"] }]]);
          modelWrite(model, "/m", "");
          await client.ask(XS_MKDIR, ["/m"]);
          for (const s of steps) {
            if (s.tx === undefined) {
              await apply(client, model, s.ops[0], 0);
              continue;
            }
            // Nobody else writes, so the transaction sees the model and commits if asked to.
            const tx = await client.start();
            const scratch: Model = structuredClone(model);
            for (const o of s.ops) await apply(client, scratch, o, tx);
            expect(await client.ask(XS_TRANSACTION_END, [s.tx ? "T" : "F"], tx)).toBe("TRANSACTION_END:OK|");
            if (s.tx) for (const [k, v] of scratch) model.set(k, v);
            if (s.tx) for (const k of [...model.keys()]) if (!scratch.has(k)) model.delete(k);
          }
          const before = await dump(client);
          expect(before).toEqual(modelDump(model));
          expect(store.check()).toEqual([]);
          await store.close();
          store = open();
          expect(await dump(new TestClient(store, 0))).toEqual(before);
          expect(store.check()).toEqual([]);
        } finally {
          await store.close();
          dir.remove();
        }
      }),
      { numRuns: 40 },
    );
  });
});

// Guests' view of the store, through in-process connections of unprivileged domains (as their
// rings will connect): permissions with Xen's owner rules, quotas, SET_TARGET, the special
// watches, RELEASE, and the outstanding-request limit.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  XS_CONTROL, XS_DIRECTORY, XS_GET_DOMAIN_PATH, XS_GET_PERMS, XS_INTRODUCE,
  XS_IS_DOMAIN_INTRODUCED, XS_MKDIR, XS_READ, XS_RELEASE, XS_RESUME, XS_RM, XS_SET_PERMS,
  XS_SET_TARGET, XS_TRANSACTION_START, XS_WATCH,
} from "../../kernel/public/xs-wire.js";
import { Store } from "../../services/store/core.js";
import { XEN_DEFAULT_QUOTAS } from "../../services/store/quota.js";
import { TestClient } from "./in-process.js";
import { tempHome } from "./support.js";

let store: Store;
let dir: { home: string; remove: () => void };
let dom0: TestClient;
let dom5: TestClient;

const QUOTAS = { nodes: 12, watches: 3, transactions: 2, permissions: 3, nodeSize: 300, pathMax: 40, transactionNodes: 30, outstanding: 5 };

beforeEach(async () => {
  dir = tempHome();
  store = Store.open({ dir: dir.home, quotas: QUOTAS });
  dom0 = new TestClient(store, 0);
  // The layout a toolstack makes for a guest (as libxl does): a home the guest may read,
  // and a directory in it that the guest owns.
  expect(await dom0.ask(XS_INTRODUCE, ["5", "4096", "1"])).toBe("INTRODUCE:OK|");
  await dom0.ask(XS_MKDIR, ["/local/domain/5/data"]);
  expect(await dom0.ask(XS_SET_PERMS, ["/local/domain/5", "n0", "r5"])).toBe("SET_PERMS:OK|");
  await dom0.ask(XS_SET_PERMS, ["/local/domain/5/data", "n5"]);
  dom5 = new TestClient(store, 5);
});

afterEach(async () => {
  await store.close();
  dir.remove();
});

describe("an unprivileged domain", () => {
  it("may not send Domain-0's messages", async () => {
    for (const [type, args] of [
      [XS_INTRODUCE, ["6", "1", "1"]], [XS_RELEASE, ["5"]], [XS_IS_DOMAIN_INTRODUCED, ["5"]],
      [XS_RESUME, ["5"]], [XS_SET_TARGET, ["5", "6"]], [XS_CONTROL, ["check"]],
    ] as const) {
      expect(await dom5.ask(type, [...args])).toBe("ERROR:EACCES|");
    }
    expect(await dom5.ask(XS_GET_DOMAIN_PATH, ["5"])).toBe("GET_DOMAIN_PATH:/local/domain/5|");
  });

  it("writes below its home through relative paths, and owns what it creates", async () => {
    expect(await dom5.set("data/x", "1")).toBe("WRITE:OK|");
    expect(await dom0.ask(XS_READ, ["/local/domain/5/data/x"])).toBe("READ:1");
    expect(await dom5.ask(XS_GET_PERMS, ["data/x"])).toBe("GET_PERMS:n5|");
    expect(await dom5.ask(XS_DIRECTORY, [""])).toBe("ERROR:EINVAL|");
    expect(await dom5.ask(XS_DIRECTORY, ["/local/domain/5"])).toBe("DIRECTORY:data|");
  });

  it("gets EACCES where it may not go, and learns nothing about what exists there", async () => {
    expect(await dom5.set("x", "1")).toBe("ERROR:EACCES|"); // home is read-only to it
    expect(await dom5.ask(XS_READ, ["/local/domain/0/name"])).toBe("ERROR:EACCES|");
    expect(await dom5.ask(XS_READ, ["/local/domain/0/nothing"])).toBe("ERROR:EACCES|");
    expect(await dom5.ask(XS_READ, ["/nothing/at/all"])).toBe("ERROR:EACCES|");
    expect(await dom5.ask(XS_READ, ["data/nothing"])).toBe("ERROR:ENOENT|");
    expect(await dom5.ask(XS_RM, ["/local/domain/5"])).toBe("ERROR:EACCES|");
    expect(await dom5.ask(XS_SET_PERMS, ["/local/domain/5", "b5"])).toBe("ERROR:EACCES|");
  });

  it("follows the permission list: owner, then listed domains, then the owner entry's access", async () => {
    await dom0.set("/shared/ro", "r");
    await dom0.ask(XS_SET_PERMS, ["/shared/ro", "n0", "r5"]);
    await dom0.set("/shared/rw", "w");
    await dom0.ask(XS_SET_PERMS, ["/shared/rw", "b0"]); // everyone: both
    await dom0.set("/shared/wo", "w");
    await dom0.ask(XS_SET_PERMS, ["/shared/wo", "r0", "w5"]);
    expect(await dom5.ask(XS_READ, ["/shared/ro"])).toBe("READ:r");
    expect(await dom5.set("/shared/ro", "x")).toBe("ERROR:EACCES|");
    expect(await dom5.set("/shared/rw", "x")).toBe("WRITE:OK|");
    expect(await dom5.ask(XS_READ, ["/shared/wo"])).toBe("ERROR:EACCES|");
    expect(await dom5.set("/shared/wo", "y")).toBe("WRITE:OK|");
    expect(await dom5.ask(XS_GET_PERMS, ["/shared/wo"])).toBe("ERROR:EACCES|");
  });

  it("may change permissions of its nodes but not give them away", async () => {
    await dom5.set("data/x", "1");
    expect(await dom5.ask(XS_SET_PERMS, ["data/x", "n5", "r6"])).toBe("SET_PERMS:OK|");
    expect(await dom5.ask(XS_SET_PERMS, ["data/x", "n6"])).toBe("ERROR:EPERM|");
    expect(await dom0.ask(XS_SET_PERMS, ["/local/domain/5/data/x", "n6"])).toBe("SET_PERMS:OK|");
    expect(await dom5.ask(XS_READ, ["data/x"])).toBe("ERROR:EACCES|");
  });

  it("acts for its target after SET_TARGET (a device model for its guest)", async () => {
    await dom0.ask(XS_INTRODUCE, ["6", "8192", "2"]);
    const dom6 = new TestClient(store, 6);
    expect(await dom6.set("/local/domain/5/data/dm", "1")).toBe("ERROR:EACCES|");
    expect(await dom0.ask(XS_SET_TARGET, ["6", "5"])).toBe("SET_TARGET:OK|");
    expect(await dom6.set("/local/domain/5/data/dm", "1")).toBe("WRITE:OK|");
  });
});

describe("watches and permissions", () => {
  it("events only for nodes the watcher may read, and for losing access", async () => {
    await dom5.set("data/x", "1");
    expect(await dom5.ask(XS_WATCH, ["/local/domain/0", "t0"])).toBe("WATCH:OK|");
    expect(await dom5.ask(XS_WATCH, ["data", "td"])).toBe("WATCH:OK|");
    await dom0.set("/local/domain/0/secret", "s");
    await dom0.set("/local/domain/5/data/x", "2");
    await dom0.ask(XS_SET_PERMS, ["/local/domain/5/data/x", "n0"]);
    await dom0.set("/local/domain/5/data/x", "3"); // unreadable now, but its parent is readable
    await dom5.ask(XS_GET_DOMAIN_PATH, ["5"]);
    // The registration event is sent whatever the permissions (as Xen does); the secret is not.
    expect(dom5.events()).toEqual(["/local/domain/0|t0", "data|td", "data/x|td", "data/x|td", "data/x|td"]);
  });

  it("special watches reach unprivileged domains only if the special node's permissions allow", async () => {
    await dom5.ask(XS_WATCH, ["@releaseDomain", "rel"]);
    await dom0.ask(XS_INTRODUCE, ["7", "1", "1"]);
    await dom0.ask(XS_RELEASE, ["7"]);
    await dom0.ask(XS_SET_PERMS, ["@releaseDomain", "n0", "r5"]);
    await dom0.ask(XS_INTRODUCE, ["7", "1", "1"]);
    await dom0.ask(XS_RELEASE, ["7"]);
    await dom5.ask(XS_GET_DOMAIN_PATH, ["5"]);
    // Registration, the permission change itself, and the second release; not the first.
    expect(dom5.events()).toEqual(["@releaseDomain|rel", "@releaseDomain|rel", "@releaseDomain|rel"]);
  });
});

describe("quotas (Xen's defaults, here lowered to test them)", () => {
  it("has Xen's default values", () => {
    expect(XEN_DEFAULT_QUOTAS).toMatchObject({ nodes: 1000, watches: 128, nodeSize: 2048, transactions: 10, outstanding: 20 });
  });

  it("nodes: ENOSPC when the domain owns its quota", async () => {
    let made = 0;
    for (let i = 0; i < QUOTAS.nodes + 5; i++) {
      const r = await dom5.set(`data/n${i}`, "v");
      if (r === "ERROR:ENOSPC|") break;
      expect(r).toBe("WRITE:OK|");
      made++;
    }
    expect(made).toBe(QUOTAS.nodes - 1); // "data" itself is the domain's too
    expect(await dom5.ask(XS_RM, ["data/n0"])).toBe("RM:OK|");
    expect(await dom5.set("data/again", "v")).toBe("WRITE:OK|");
    // Domain-0 has no quota.
    for (let i = 0; i < QUOTAS.nodes + 5; i++) expect(await dom0.set(`/free/n${i}`, "v")).toBe("WRITE:OK|");
  });

  it("a failed write changes nothing (a node made for a missing parent is undone)", async () => {
    for (let i = 0; i < QUOTAS.nodes - 2; i++) await dom5.set(`data/n${i}`, "v");
    expect(await dom5.set("data/deep/er", "v")).toBe("ERROR:ENOSPC|");
    expect(await dom5.ask(XS_READ, ["data/deep"])).toBe("ERROR:ENOENT|");
    expect(store.check()).toEqual([]);
  });

  it("watches: E2BIG beyond the quota", async () => {
    for (let i = 0; i < QUOTAS.watches; i++) expect(await dom5.ask(XS_WATCH, ["data", `t${i}`])).toBe("WATCH:OK|");
    expect(await dom5.ask(XS_WATCH, ["data", "one-more"])).toBe("ERROR:E2BIG|");
  });

  it("transactions: ENOSPC beyond the quota", async () => {
    await dom5.start();
    await dom5.start();
    expect(await dom5.ask(XS_TRANSACTION_START, [""])).toBe("ERROR:ENOSPC|");
  });

  it("node size, permission entries and path length", async () => {
    expect(await dom5.set("data/big", "x".repeat(QUOTAS.nodeSize))).toBe("ERROR:ENOSPC|");
    expect(await dom5.set("data/big", "x".repeat(QUOTAS.nodeSize - 8))).toBe("WRITE:OK|");
    await dom5.set("data/small", "x");
    expect(await dom5.ask(XS_SET_PERMS, ["data/small", "n5", "r1", "r2", "r3"])).toBe("ERROR:ENOSPC|");
    expect(await dom5.ask(XS_SET_PERMS, ["data/small", "n5", "r1", "r2"])).toBe("SET_PERMS:OK|");
    const name = (n: number): string => `data/${"p".repeat(n - 5)}`;
    expect(await dom5.set(name(QUOTAS.pathMax), "v")).toBe("WRITE:OK|");
    expect(await dom5.set(name(QUOTAS.pathMax + 1), "v")).toBe("ERROR:EINVAL|");
  });

  it("transaction nodes: ENOSPC when one transaction touches too many", async () => {
    const tx = await dom5.start();
    let last = "";
    for (let i = 0; i < QUOTAS.transactionNodes + 2 && last !== "ERROR:ENOSPC|"; i++) {
      last = await dom5.ask(XS_READ, [`data/r${i}`], tx);
    }
    expect(last).toBe("ERROR:ENOSPC|");
  });

  it("outstanding: the store stops reading a domain that leaves replies untaken", async () => {
    dom5.autoTake = false;
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(dom5.send(XS_GET_DOMAIN_PATH, ["5"]));
    await new Promise((r) => setTimeout(r, 20));
    expect(dom5.paused).toBe(true);
    expect(dom5.inbox.length).toBe(QUOTAS.outstanding);
    dom5.autoTake = true;
    dom5.take();
    for (const id of ids) expect(await dom5.reply(id)).toBe("GET_DOMAIN_PATH:/local/domain/5|");
    expect(dom5.paused).toBe(false);
  });
});

describe("RELEASE", () => {
  it("drops the domain's connections, removes the nodes it owns and its permission entries", async () => {
    await dom5.set("data/x", "1");
    await dom0.set("/other", "o");
    await dom0.ask(XS_SET_PERMS, ["/other", "n0", "r5"]);
    await dom0.ask(XS_WATCH, ["@releaseDomain", "r"]);
    expect(await dom0.ask(XS_RELEASE, ["5"])).toBe("RELEASE:OK|");
    expect(dom5.closedByStore).toBe(true);
    expect(await dom0.ask(XS_READ, ["/local/domain/5/data"])).toBe("ERROR:ENOENT|");
    expect(await dom0.ask(XS_GET_PERMS, ["/local/domain/5"])).toBe("GET_PERMS:n0|");
    expect(await dom0.ask(XS_GET_PERMS, ["/other"])).toBe("GET_PERMS:n0|");
    expect(await dom0.ask(XS_IS_DOMAIN_INTRODUCED, ["5"])).toBe("IS_DOMAIN_INTRODUCED:F|");
    expect(dom0.events()).toEqual(["@releaseDomain|r", "@releaseDomain|r"]);
    expect(store.check()).toEqual([]);
  });

  it("introductions and targets survive a restart of the store", async () => {
    await dom0.ask(XS_INTRODUCE, ["6", "8192", "2"]);
    await dom0.ask(XS_SET_TARGET, ["6", "5"]);
    await store.close();
    store = Store.open({ dir: dir.home, quotas: QUOTAS });
    dom0 = new TestClient(store, 0);
    expect(await dom0.ask(XS_IS_DOMAIN_INTRODUCED, ["6"])).toBe("IS_DOMAIN_INTRODUCED:T|");
    const dom6 = new TestClient(store, 6);
    expect(await dom6.set("/local/domain/5/data/dm", "1")).toBe("WRITE:OK|");
  });
});

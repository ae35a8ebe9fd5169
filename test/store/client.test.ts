// The store's own client library against the store process.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XsClient, XsClientError } from "../../services/store/client.js";
import { StoreProcess, tempHome } from "./support.js";

let store: StoreProcess;
let cleanup: () => void;
let c: XsClient;

beforeAll(async () => {
  const t = tempHome();
  cleanup = t.remove;
  store = await StoreProcess.start(t.home);
  c = await XsClient.connect(store.socket);
});

afterAll(async () => {
  c.close();
  await store.stop();
  cleanup();
});

describe("XsClient", () => {
  it("reads, writes, lists, sets permissions and removes", async () => {
    await c.write("/c/a", "1");
    await c.mkdir("/c/b");
    expect((await c.read("/c/a")).toString()).toBe("1");
    expect(await c.directory("/c")).toEqual(["a", "b"]);
    await c.setPerms("/c/a", ["n0", "r3"]);
    expect(await c.getPerms("/c/a")).toEqual(["n0", "r3"]);
    await c.rm("/c");
    await expect(c.read("/c/a")).rejects.toThrow(new XsClientError("ENOENT", "READ"));
  });

  it("delivers watch events until unwatched", async () => {
    const heard: string[] = [];
    c.onWatch = (path, token) => heard.push(`${path} ${token}`);
    await c.watch("/cw", "t");
    await c.write("/cw/x", "1");
    await c.unwatch("/cw", "t");
    await c.write("/cw/y", "1");
    await c.read("/cw/y");
    expect(heard).toEqual(["/cw t", "/cw/x t"]);
  });

  it("runs transactions, and reports conflicts as EAGAIN", async () => {
    const other = await XsClient.connect(store.socket);
    const tx = await c.transactionStart();
    await c.read("/local/domain/0/name", tx);
    await c.write("/ct", "in tx", tx);
    await other.write("/local/domain/0/name", "Domain-0");
    await expect(c.transactionEnd(tx)).rejects.toMatchObject({ code: "EAGAIN" });
    const tx2 = await c.transactionStart();
    await c.write("/ct", "committed", tx2);
    await c.transactionEnd(tx2);
    expect((await other.read("/ct")).toString()).toBe("committed");
    other.close();
  });

  it("fails requests once the store has gone away", async () => {
    const t = tempHome();
    const second = await StoreProcess.start(t.home);
    const victim = await XsClient.connect(second.socket);
    await second.kill9();
    await expect(victim.read("/local")).rejects.toThrow(/ECONNRESET|EPIPE|closed/);
    t.remove();
  });
});

// The store's domain socket (services/store/domain-socket.ts), as the kernel's ring relay uses
// it: a hello line names the domain, the connection then speaks for it, unprivileged; the first
// connection introduces the domain, ending it releases the domain.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { join } from "node:path";
import { XS_INTRODUCE, XS_READ, XS_WATCH, XS_WRITE, XS_ERROR } from "../../kernel/public/xs-wire.js";
import { XsClient } from "../../services/store/client.js";
import { parseHello } from "../../services/store/domain-socket.js";
import { RawConnection, StoreProcess, tempHome } from "./support.js";

let store: StoreProcess;
let dom0: XsClient;
let cleanup: () => void;
const events: string[] = [];

const UUID = "aa6969f3-8012-24f0-1e3a-35f150001950";
const domainsSock = (): string => join(store.home, "run", "xenstored", "domains.sock");

async function relay(domid: number, name: string, more: Record<string, unknown> = {}): Promise<RawConnection> {
  const c = await RawConnection.connect(domainsSock());
  c.send(Buffer.from(`${JSON.stringify({ domid, name, mfn: "1234", port: 2, ...more })}\n`));
  return c;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const exists = (path: string): Promise<boolean> => dom0.read(path).then(() => true, () => false);

beforeAll(async () => {
  const t = tempHome();
  cleanup = t.remove;
  store = await StoreProcess.start(t.home);
  dom0 = await XsClient.connect(store.socket);
  dom0.onWatch = (path, token) => events.push(`${path}|${token}`);
  await dom0.watch("@introduceDomain", "in");
  await dom0.watch("@releaseDomain", "out");
});
afterAll(async () => {
  dom0.close();
  await store.stop();
  cleanup();
});

describe("the store's domain socket", () => {
  it("checks the hello line", () => {
    expect(parseHello('{"domid":3,"name":"g","mfn":"9","port":2}')).toEqual({ domid: 3, name: "g", mfn: "9", port: 2 });
    for (const bad of ["", "3", '{"domid":0,"name":"g","mfn":"9","port":2}', '{"domid":3,"name":"","mfn":"9","port":2}',
      '{"domid":3,"name":"g","mfn":"x","port":2}', '{"domid":3,"name":"g","mfn":"9","port":0}',
      '{"domid":3,"name":"g","mfn":"9","port":2,"uuid":"x"}', '{"domid":3,"name":"g","mfn":"9","port":2,"memoryKiB":0}',
      '{"domid":3,"name":"g","mfn":"9","port":2,"consoleMfn":"8"}', '{"domid":3,"name":"g","mfn":"9","port":2,"vcpus":0}',
      '{"domid":3,"name":"g","mfn":"9","port":2,"vcpus":9}', '{"domid":3,"name":"g","mfn":"9","port":2,"vcpus":1.5}', '{"domid":3,"name":"g","mfn":"9","port":2,"consoleMfn":"8","consolePort":-1}']) {
      expect(parseHello(bad)).toBeInstanceOf(Error);
    }
    expect(parseHello(`{"domid":3,"name":"g","mfn":"9","port":2,"uuid":"${UUID}","memoryKiB":65536,"vcpus":2,"consoleMfn":"8","consolePort":1}`)).toEqual({
      domid: 3, name: "g", mfn: "9", port: 2, uuid: UUID, memoryKiB: 65536, vcpus: 2, console: { mfn: "8", port: 1 },
    });
  });

  it("takes any line without throwing: an Error, or a hello whose every field is in range", () => {
    const field = fc.oneof(fc.anything(), fc.integer({ min: -2, max: 70000 }), fc.string({ maxLength: 70 }), fc.constant(UUID));
    const keys = ["domid", "name", "mfn", "port", "uuid", "memoryKiB", "vcpus", "consoleMfn", "consolePort"];
    fc.assert(fc.property(fc.oneof(fc.string(), fc.dictionary(fc.constantFrom(...keys), field).map((o) => JSON.stringify({ domid: 3, name: "g", mfn: "9", port: 2, ...o }))), (line) => {
      const h = parseHello(line);
      if (h instanceof Error) return;
      expect(Number.isInteger(h.domid) && h.domid >= 1).toBe(true);
      expect(h.name.length).toBeGreaterThan(0);
      expect(h.mfn).toMatch(/^\d+$/);
      expect(Number.isInteger(h.port) && h.port >= 1).toBe(true);
      if (h.vcpus !== undefined) expect(Number.isInteger(h.vcpus) && h.vcpus >= 1 && h.vcpus <= 8).toBe(true);
      if (h.memoryKiB !== undefined) expect(Number.isSafeInteger(h.memoryKiB) && h.memoryKiB >= 1).toBe(true);
    }), { numRuns: 2000 });
  });

  it("lays out Xen's home: vm, device, backend, control/shutdown, memory/target, cpu, console", async () => {
    const g = await relay(11, "guest11", { uuid: UUID, memoryKiB: 65536, vcpus: 2, consoleMfn: "1233", consolePort: 1 });
    await until("the home", () => exists("/local/domain/11/console/port"));
    const home = "/local/domain/11";
    expect((await dom0.directory(home)).sort()).toEqual(
      ["attr", "backend", "console", "control", "cpu", "data", "device", "domid", "drivers", "error", "feature", "memory", "name", "vm"],
    );
    const read = async (p: string): Promise<string> => (await dom0.read(`${home}/${p}`)).toString();
    expect(await read("vm")).toBe(`/vm/${UUID}`);
    expect(await read("memory/target")).toBe("65536");
    expect(await dom0.directory(`${home}/cpu`)).toEqual(["0", "1"]);
    expect(await read("cpu/0/availability")).toBe("online");
    expect(await read("cpu/1/availability")).toBe("online");
    expect(await read("console/ring-ref")).toBe("1233");
    expect(await read("console/port")).toBe("1");
    expect(await read("control/shutdown")).toBe("");
    expect(await dom0.directory(`${home}/backend`)).toEqual([]);
    expect((await dom0.read(`/vm/${UUID}/uuid`)).toString()).toBe(UUID);
    expect((await dom0.read(`/vm/${UUID}/name`)).toString()).toBe("guest11");
    // The guest reads them and may not change them; its console directory is its own.
    for (const p of [home, `${home}/vm`, `${home}/backend`, `${home}/memory/target`, `${home}/cpu/1/availability`, `${home}/console/ring-ref`, `${home}/console/port`, `/vm/${UUID}`]) {
      expect(await dom0.getPerms(p)).toEqual(["n0", "r11"]);
    }
    expect(await dom0.getPerms(`${home}/console`)).toEqual(["n11"]);
    expect((await g.request(XS_READ, ["console/ring-ref"])).text).toBe("1233");
    expect((await g.request(XS_READ, [`/vm/${UUID}/name`])).text).toBe("guest11");
    expect((await g.request(XS_WRITE, Buffer.from("memory/target\0" + "1"))).text).toBe("EACCES\0");
    // The domain going takes its /vm/<uuid> with its home.
    g.close();
    await until("the home removed", async () => !(await exists(home)) && !(await exists(`/vm/${UUID}`)));
  });

  it("introduces the domain with the toolstack's home, and speaks for it", async () => {
    const g = await relay(7, "guest7");
    // Relative paths are below the domain's home; the guest writes where it owns.
    const w = await g.request(XS_WRITE, Buffer.from("data/hello\0world"));
    expect(w.type).not.toBe(XS_ERROR);
    expect((await dom0.read("/local/domain/7/data/hello")).toString()).toBe("world");
    expect((await dom0.read("/local/domain/7/name")).toString()).toBe("guest7");
    expect((await dom0.read("/local/domain/7/domid")).toString()).toBe("7");
    expect(await dom0.getPerms("/local/domain/7")).toEqual(["n0", "r7"]);
    expect(await dom0.getPerms("/local/domain/7/data")).toEqual(["n7"]);
    expect((await g.request(XS_READ, ["name"])).text).toBe("guest7");
    // Unprivileged: its home's own node is read-only to it, other homes are closed, and it may not INTRODUCE.
    expect((await g.request(XS_WRITE, Buffer.from("name\0x"))).text).toBe("EACCES\0");
    expect((await g.request(XS_READ, ["/local/domain/0/name"])).text).toBe("EACCES\0");
    expect((await g.request(XS_INTRODUCE, ["8", "1", "2"])).text).toBe("EACCES\0");
    await until("@introduceDomain", () => events.includes("@introduceDomain|in"));

    // Watches work for it, with relative paths.
    expect((await g.request(XS_WATCH, ["data/poke", "p"])).type).not.toBe(XS_ERROR);
    await dom0.write("/local/domain/7/data/poke", "42");
    await until("the guest's event", () => g.events().includes("data/poke|p"));

    // Ending the connection is the domain going away: RELEASE, and its home removed.
    events.length = 0;
    g.close();
    await until("@releaseDomain", () => events.includes("@releaseDomain|out"));
    await until("the home removed", async () => !(await exists("/local/domain/7")));
  });

  it("a relay reconnecting finds the domain as it was", async () => {
    const a = await relay(9, "guest9");
    await a.request(XS_WRITE, Buffer.from("data/x\0one"));
    await store.kill9();
    store = await StoreProcess.start(store.home);
    dom0 = await XsClient.connect(store.socket);
    await a.waitClosed();
    const b = await relay(9, "guest9");
    expect((await b.request(XS_READ, ["data/x"])).text).toBe("one");
    b.close();
    await until("the home removed", async () => !(await exists("/local/domain/9")));
  });

  it("closes a connection without a proper hello", async () => {
    const c = await RawConnection.connect(domainsSock());
    c.send(Buffer.from("hello\n"));
    await c.waitClosed();
    expect(store.alive).toBe(true);
  });
});

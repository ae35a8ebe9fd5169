// The store's quotas from DOMUS_HOME/xend-config.sxp (services/store/host-config.ts): a quota set
// there binds an unprivileged domain, in-process and in the store process; --quota still wins.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { XS_TRANSACTION_START, XS_WATCH } from "../../kernel/public/xs-wire.js";
import { Store } from "../../services/store/core.js";
import { hostQuotas } from "../../services/store/host-config.js";
import { TestClient } from "./in-process.js";
import { RawConnection, StoreProcess, tempHome } from "./support.js";

let cleanups: (() => void | Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function home(config?: string): string {
  const t = tempHome();
  cleanups.push(t.remove);
  if (config !== undefined) writeFileSync(join(t.home, "xend-config.sxp"), config);
  return t.home;
}

/** Registers watches until the store refuses; returns how many it took and the refusal. */
async function watchesUntilRefused(ask: (token: string) => Promise<string>): Promise<[number, string]> {
  for (let i = 0; i < 10; i++) {
    const r = await ask(`t${i}`);
    if (r !== "OK") return [i, r];
  }
  return [10, "none"];
}

describe("quotas from xend-config.sxp", () => {
  it("maps the xenstore settings onto the store's quotas, Xen's defaults without a file", async () => {
    expect(await hostQuotas(home(), {})).toEqual({ nodes: 1000, watches: 128, nodeSize: 2048, transactions: 10, outstanding: 20 });
    const h = home([
      "(xenstore-max-nodes-per-domain 50)", "(xenstore-max-watches 2)", "(xenstore-max-node-size 512)",
      "(xenstore-max-transactions 1)", "(xenstore-max-requests 4)", "",
    ].join("\n"));
    expect(await hostQuotas(h, {})).toEqual({ nodes: 50, watches: 2, nodeSize: 512, transactions: 1, outstanding: 4 });
    // A --quota flag is the more specific setting.
    expect(await hostQuotas(h, { watches: 3, pathMax: 100 })).toMatchObject({ nodes: 50, watches: 3, pathMax: 100 });
    // A broken file is logged and Xen's defaults are used: a typo does not stop the store.
    const logged: string[] = [];
    expect(await hostQuotas(home("(xenstore-max-watches lots)\n"), {}, (m) => logged.push(m))).toMatchObject({ watches: 128 });
    expect(logged).toEqual([expect.stringMatching(/xend-config\.sxp:1:.*xenstore-max-watches.*default quotas/)]);
  });

  it("binds an unprivileged domain's connection in the store", async () => {
    const h = home("(xenstore-max-watches 2)\n(xenstore-max-transactions 1)\n");
    const store = Store.open({ dir: join(h, "store"), quotas: await hostQuotas(h, {}) });
    cleanups.push(() => store.close());
    const dom5 = new TestClient(store, 5);
    const dom0 = new TestClient(store, 0);
    const [n, refusal] = await watchesUntilRefused(async (t) => (await dom5.ask(XS_WATCH, ["/local/domain/5", t])).replace(/^WATCH:OK\|$/, "OK"));
    expect([n, refusal]).toEqual([2, "ERROR:E2BIG|"]);
    await dom5.start();
    expect(await dom5.ask(XS_TRANSACTION_START, [""])).toBe("ERROR:ENOSPC|");
    // Domain-0 has no quota, as in Xen.
    for (let i = 0; i < 3; i++) expect(await dom0.ask(XS_WATCH, ["/local", `t${i}`])).toBe("WATCH:OK|");
  });

  it("is read by the store process at start, for the domains the kernel relays; --quota wins", async () => {
    const h = home("(xenstore-max-watches 2)\n");
    const watches = async (args: string[]): Promise<[number, string]> => {
      const store = await StoreProcess.start(h, args);
      try {
        const g = await RawConnection.connect(join(h, "run", "xenstored", "domains.sock"));
        g.send(Buffer.from(`${JSON.stringify({ domid: 3, name: "guest", mfn: "1234", port: 2 })}\n`));
        try {
          return await watchesUntilRefused(async (t) => (await g.request(XS_WATCH, ["data", t])).text.replace(/\0$/, ""));
        } finally {
          g.close();
        }
      } finally {
        await store.stop();
      }
    };
    expect(await watches([])).toEqual([2, "E2BIG"]);
    expect(await watches(["--quota", "watches=4"])).toEqual([4, "E2BIG"]);
  });
});

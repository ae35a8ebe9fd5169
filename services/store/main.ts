#!/usr/bin/env node
// The store process: `node dist/services/store/main.js [--home DIR]`. Quotas come from
// DIR/xend-config.sxp, then --quota. Serves xenstore on
// DIR/run/xenstored/socket (and guests' rings, relayed by the kernel process, on
// DIR/run/xenstored/domains.sock) and keeps its database in DIR/store; logs to stderr; SIGTERM or
// SIGINT stop it cleanly (every acknowledged write is on disk at any time anyway).

import { Command, InvalidArgumentError } from "commander";
import { homedir } from "node:os";
import { join } from "node:path";
import { Store } from "./core.js";
import { hostQuotas } from "./host-config.js";
import { parseQuota, type Quotas } from "./quota.js";
import { listenSocket } from "./socket.js";
import { listenDomainSocket } from "./domain-socket.js";

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} store: ${msg}\n`);
}

function quota(value: string, previous: Partial<Quotas>): Partial<Quotas> {
  try {
    const [name, n] = parseQuota(value);
    return { ...previous, [name]: n };
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function bytes(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`must be a positive whole number, not "${value}"`);
  }
  return n;
}

interface Options {
  home?: string;
  quota: Partial<Quotas>;
  compactBytes?: number;
}

const program = new Command()
  .name("domus-store")
  .description("Domus xenstored: the xenstore wire protocol on DOMUS_HOME/run/xenstored/socket")
  .option("--home <dir>", "host state directory (default: $DOMUS_HOME, else ~/.domus)")
  .option(
    "--quota <name=n>",
    "per-domain quota (repeatable): nodes, watches, nodeSize, transactions, outstanding, permissions, pathMax, transactionNodes",
    quota,
    {},
  )
  .option("--compact-bytes <n>", "journal size that triggers a new snapshot (default 4 MiB)", bytes)
  .showHelpAfterError();

async function main(): Promise<void> {
  const opts = program.parse().opts<Options>();
  const home = opts.home ?? process.env.DOMUS_HOME ?? join(homedir(), ".domus");
  // xend-config.sxp's quotas, then --quota: a flag is the more specific setting.
  const quotas = await hostQuotas(home, opts.quota, log);
  const store = Store.open({ dir: join(home, "store"), quotas, compactBytes: opts.compactBytes, log });
  // The domain socket first: the supervisor takes the tools' socket as the sign the store is up.
  const domainsPath = join(home, "run", "xenstored", "domains.sock");
  const domainServer = await listenDomainSocket(store, domainsPath);
  const socketPath = join(home, "run", "xenstored", "socket");
  const server = await listenSocket(store, socketPath);
  log(`listening on ${socketPath} and ${domainsPath} (pid ${process.pid})`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    server.close();
    domainServer.close();
    void store.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((e: unknown) => {
  log(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

#!/usr/bin/env node
// The block service process: `node dist/services/blk/main.js [--home DIR] [--instance NAME]`.
// Serves the virtual disks that the store lists under Domain-0's backend/vbd; talks to the kernel
// on DIR/run/kernel.sock and to the store on DIR/run/xenstored/socket. Logs to stderr; SIGTERM or
// SIGINT stop it (every answered write is already in its image).

import { Command } from "commander";
import { resolveHome } from "../../tools/lib/home.js";
import { storeSocketOf } from "../../tools/xend/store-session.js";
import { KernelPort } from "../common/kernel-port.js";
import { StoreLink } from "../common/store-link.js";
import { XenbusBackend } from "../common/xenbus-backend.js";
import { backendRoot } from "../../kernel/public/xen/xenbus.js";
import { BlockDriver, type Vbd } from "./blkback.js";

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} blk: ${msg}\n`);
}

interface Options {
  home?: string;
  instance: string;
}

const program = new Command()
  .name("domus-blk")
  .description("Domus block service: virtual disks for the domains of one host")
  .option("--home <dir>", "host state directory (default: $DOMUS_HOME, else ~/.domus)")
  .option("--instance <name>", "the name devices' backend= refers to", "blk")
  .showHelpAfterError();

async function main(): Promise<void> {
  const opts = program.parse().opts<Options>();
  const home = resolveHome(opts.home);
  const kernel = await KernelPort.connect(home, opts.instance, log);
  let backend: XenbusBackend<Vbd> | undefined;
  const store = new StoreLink(storeSocketOf(home), [[backendRoot("vbd"), "vbd"]], () => backend?.changed(), log);
  backend = new XenbusBackend(new BlockDriver(kernel, log), "disk", kernel, store, log);
  kernel.onClose((why) => {
    log(`${why.message}: stopping`);
    process.exit(1);
  });
  await store.start();
  backend.changed();
  log(`serving disks (pid ${process.pid})`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    store.stop();
    void backend?.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((e: unknown) => {
  log(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

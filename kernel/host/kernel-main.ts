#!/usr/bin/env node
// The kernel process of a Domus host: runs every domain and serves the kernel protocol on
// DOMUS_HOME/run/kernel.sock. Started by the supervisor (`domus up`); stopping it stops the guests.

import { Command } from "commander";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Hypervisor } from "./hypervisor.js";
import { kernelModule } from "./wasm-kernel.js";
import { KernelServer } from "./kernel-server.js";
import { KERNEL_SOCKET } from "../public/protocol.js";
import { homePaths, resolveHome } from "../../tools/lib/home.js";
import { readXendConfig } from "../../tools/xend/xend-config.js";

const program = new Command()
  .name("domus-kernel")
  .description("the Domus kernel process: runs the domains of one host")
  .option("--home <dir>", "DOMUS_HOME of this host (default: $DOMUS_HOME or ~/.domus)")
  .parse(process.argv);
const home = resolveHome(program.opts<{ home?: string }>().home);

const log = (msg: string): void => {
  process.stderr.write(`${new Date().toISOString()} kernel: ${msg}\n`);
};

let server: KernelServer | undefined;
const hv = new Hypervisor({
  console: (domid, data) => server?.publish({ event: "console", domid, data }),
  domain: (domid, state, reason) => server?.publish({ event: "domain", domid, state, ...(reason ? { reason } : {}) }),
}, log, {
  storeSocket: join(home, "run", "xenstored", "domains.sock"),
  // Domain-0 is the host: guests are never given the memory xend-config.sxp keeps for it.
  reservedMiB: readXendConfig(homePaths(home).xendConfig, log).dom0MinMem,
});
server = new KernelServer(hv, log);

kernelModule();
mkdirSync(join(home, "run"), { recursive: true });
const socketPath = join(home, KERNEL_SOCKET);
await server.listen(socketPath);
log(`listening on ${socketPath}`);

const shutdown = (): void => {
  log("stopping");
  server?.close();
  hv.stop();
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
await hv.loop();

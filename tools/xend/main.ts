#!/usr/bin/env node
// The xend process of a Domus host (started by the supervisor): serves the management protocol on
// DOMUS_HOME/run/xend.sock and keeps the domains' lifecycle. Stopping or restarting it never
// touches a running guest; on start it rebuilds its view from the kernel.

import { Command } from "commander";
import { ensureHomeDirs, homePaths, resolveHome } from "../lib/home.js";
import { serveFrames } from "../lib/frame-server.js";
import { Xend } from "./xend.js";
import { handleXendRequest } from "./api.js";

const opts = new Command()
  .name("domus-xend")
  .description("the Domus toolstack daemon")
  .option("--home <dir>", "DOMUS_HOME of this host")
  .parse(process.argv)
  .opts<{ home?: string }>();
const paths = homePaths(resolveHome(opts.home));
ensureHomeDirs(paths);

const log = (msg: string): void => {
  process.stderr.write(`${new Date().toISOString()} xend: ${msg}\n`);
};

const xend = new Xend(paths, log);
xend.start();
const server = await serveFrames(paths.xendSocket, (req) => handleXendRequest(xend, req), log);
log(`listening on ${paths.xendSocket}`);

const stop = (): void => {
  log("stopping (running domains are left to the kernel)");
  server.close();
  xend.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

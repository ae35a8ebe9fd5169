#!/usr/bin/env node
// The supervisor process of one Domus host, started in the background by `domus up`. It owns
// DOMUS_HOME/run/supervisor.pid while it lives, keeps run/supervisor.json current, and on SIGTERM
// (`domus down`) stops the services in reverse order and exits.

import { Command } from "commander";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../kernel/host/project-root.js";
import { ensureHomeDirs, homePaths, resolveHome } from "../lib/home.js";
import { claimPidFile, pidFileState, removeFile } from "./pidfile.js";
import { SUPERVISOR_MARKER, servicesToRun, serviceTable } from "./services.js";
import { writeStatus } from "./status-file.js";
import { Supervisor } from "./supervisor.js";

const opts = new Command()
  .name("domus-supervisor")
  .option("--home <dir>", "DOMUS_HOME of this host")
  .parse(process.argv)
  .opts<{ home?: string }>();
const paths = homePaths(resolveHome(opts.home));
ensureHomeDirs(paths);

// Logging and the status file must never stop the supervisor from stopping its services (the
// home may have been removed under it): their failures are ignored.
const log = (msg: string): void => {
  try {
    appendFileSync(join(paths.log, "supervisor.log"), `${new Date().toISOString()} supervisor: ${msg}\n`);
  } catch { /* nowhere to log */ }
};

if (!claimPidFile(paths.supervisorPid, process.pid)) {
  const state = pidFileState(paths.supervisorPid, SUPERVISOR_MARKER);
  if (state.kind === "alive") {
    process.stderr.write(`domus: a supervisor is already running for ${paths.home} (pid ${state.pid})\n`);
    process.exit(3);
  }
  // Stale: its owner is gone. Take it over.
  removeFile(paths.supervisorPid);
  if (!claimPidFile(paths.supervisorPid, process.pid)) {
    process.stderr.write(`domus: another supervisor claimed ${paths.supervisorPid} first\n`);
    process.exit(3);
  }
}

const supervisor = new Supervisor({
  home: paths.home,
  logDir: paths.log,
  services: servicesToRun(serviceTable(projectRoot(), paths)),
  onStatus: (s) => {
    try {
      writeStatus(paths.supervisorStatus, s);
    } catch (e) {
      log(`cannot write ${paths.supervisorStatus}: ${(e as Error).message}`);
    }
  },
  log,
});

let exiting = false;
async function stopAndExit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  log("stopping the host");
  await supervisor.stop();
  removeFile(paths.supervisorStatus);
  removeFile(paths.supervisorPid);
  log("stopped");
  process.exit(code);
}
process.on("SIGTERM", () => void stopAndExit(0));
process.on("SIGINT", () => void stopAndExit(0));
// Detached from any terminal: a hang-up of the shell that ran `domus up` must not stop the host.
process.on("SIGHUP", () => {});

log(`starting for ${paths.home}, pid ${process.pid}`);
try {
  await supervisor.start();
  log("all services ready");
} catch (e) {
  log(`cannot start: ${(e as Error).message}`);
  process.stderr.write(`domus: ${(e as Error).message}\n`);
  await stopAndExit(1);
}

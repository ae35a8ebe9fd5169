// `domus up`: start a host's supervisor in the background and wait until every service is ready.
// One supervisor per DOMUS_HOME: a second `up` is refused, and a pid file left by a supervisor
// that died is recognised as stale and replaced.

import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../kernel/host/project-root.js";
import { ensureHomeDirs, homePaths } from "../lib/home.js";
import { pidFileState, processAlive, removeFile } from "./pidfile.js";
import { SUPERVISOR_MARKER, supervisorEntry } from "./services.js";
import { readStatus, type SupervisorStatus } from "./status-file.js";
import { leftoverServices } from "./leftovers.js";

const UP_TIMEOUT_MS = 60_000;

export interface UpResult {
  readonly code: number;
  readonly status?: SupervisorStatus;
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export async function up(home: string, say: (line: string) => void): Promise<UpResult> {
  const paths = homePaths(home);
  const state = pidFileState(paths.supervisorPid, SUPERVISOR_MARKER);
  if (state.kind === "alive") {
    say(`domus up: Domus is already running for ${home} (supervisor pid ${state.pid}); see \`domus status\`, or stop it with \`domus down\``);
    return { code: 1 };
  }
  if (state.kind === "stale") {
    const left = leftoverServices(paths);
    if (left.length > 0) {
      say(`domus up: the supervisor of ${home} died but its services still run (${left.map((s) => `${s.name} pid ${s.pid}`).join(", ")}); run \`domus down\` to stop them first`);
      return { code: 1 };
    }
    say(`domus up: removed a stale pid file (${paths.supervisorPid}: pid ${state.pid ?? "?"} is not a running supervisor)`);
    removeFile(paths.supervisorPid);
    removeFile(paths.supervisorStatus);
  }
  const entry = supervisorEntry(projectRoot());
  if (!existsSync(entry)) {
    say(`domus up: ${entry} is missing; run \`npm run build\` first`);
    return { code: 1 };
  }
  ensureHomeDirs(paths);
  const logPath = join(paths.log, "supervisor.log");
  const fd = openSync(logPath, "a");
  const child = spawn(process.execPath, [entry, "--home", home], {
    detached: true, // its own session: it outlives this command and the terminal
    stdio: ["ignore", fd, fd],
    env: { ...process.env, DOMUS_HOME: home },
  });
  closeSync(fd);
  const pid = child.pid;
  child.unref();
  if (pid === undefined) {
    say(`domus up: could not start the supervisor (see ${logPath})`);
    return { code: 1 };
  }

  const deadline = Date.now() + UP_TIMEOUT_MS;
  for (;;) {
    const status = readStatus(paths.supervisorStatus);
    if (status !== undefined && status.pid === pid && status.services.every((s) => s.state === "running")) {
      return { code: 0, status };
    }
    if (!processAlive(pid) || child.exitCode !== null) {
      say(`domus up: the supervisor stopped while starting the host; its log (${logPath}) ends:\n${tail(logPath, 10)}`);
      return { code: 1 };
    }
    if (Date.now() > deadline) {
      say(`domus up: not every service was ready within ${UP_TIMEOUT_MS / 1000} s; see \`domus status\` and ${paths.log}`);
      return { code: 1, status };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// `domus down`: ask the supervisor to stop the host (it stops the services in reverse order) and
// wait until it has exited. Services orphaned by a killed supervisor are stopped here directly.

import { homePaths } from "../lib/home.js";
import { pidFileState, processAlive, removeFile } from "./pidfile.js";
import { SUPERVISOR_MARKER } from "./services.js";
import { leftoverServices, type Leftover } from "./leftovers.js";

/** The supervisor gives each service 5 s before SIGKILL; allow for all of them and some slack. */
const DOWN_TIMEOUT_MS = 30_000;

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function stopLeftovers(left: readonly Leftover[], say: (line: string) => void): Promise<void> {
  for (const s of [...left].reverse()) {
    say(`domus down: stopping ${s.name} (pid ${s.pid}), left by a supervisor that died`);
    try { process.kill(s.pid, "SIGTERM"); } catch { /* gone already */ }
    if (!(await waitGone(s.pid, 5000))) {
      try { process.kill(s.pid, "SIGKILL"); } catch { /* gone already */ }
      await waitGone(s.pid, 2000);
    }
  }
}

export async function down(home: string, say: (line: string) => void): Promise<number> {
  const paths = homePaths(home);
  const state = pidFileState(paths.supervisorPid, SUPERVISOR_MARKER);
  if (state.kind !== "alive") {
    const left = leftoverServices(paths);
    await stopLeftovers(left, say);
    if (state.kind === "stale") say(`domus down: removed a stale pid file (pid ${state.pid ?? "?"} is not a running supervisor)`);
    removeFile(paths.supervisorPid);
    removeFile(paths.supervisorStatus);
    if (left.length === 0) say(`Domus is not running for ${home}; nothing to stop`);
    return 0;
  }
  process.kill(state.pid, "SIGTERM");
  if (!(await waitGone(state.pid, DOWN_TIMEOUT_MS))) {
    say(`domus down: the supervisor (pid ${state.pid}) did not stop within ${DOWN_TIMEOUT_MS / 1000} s; killing it and its services`);
    const left = leftoverServices(paths);
    try { process.kill(state.pid, "SIGKILL"); } catch { /* gone already */ }
    await waitGone(state.pid, 2000);
    await stopLeftovers(left, say);
    removeFile(paths.supervisorPid);
    removeFile(paths.supervisorStatus);
    return 1;
  }
  say(`Domus stopped (${home})`);
  return 0;
}

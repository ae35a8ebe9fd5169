// `domus status`: the supervisor and each service with pid, state, restarts and uptime, as a
// table or (--json) as the status record itself. Exit status 3 when the host is not running, as
// LSB init scripts' `status` does.

import { homePaths } from "../lib/home.js";
import { pidFileState } from "./pidfile.js";
import { SUPERVISOR_MARKER } from "./services.js";
import { readStatus } from "./status-file.js";

export const NOT_RUNNING = 3;

export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

export function showStatus(home: string, json: boolean, say: (line: string) => void, now = Date.now()): number {
  const paths = homePaths(home);
  const state = pidFileState(paths.supervisorPid, SUPERVISOR_MARKER);
  const status = state.kind === "alive" ? readStatus(paths.supervisorStatus) : undefined;
  if (state.kind !== "alive" || status === undefined) {
    if (json) say(JSON.stringify({ home, running: false, stalePidFile: state.kind === "stale" }));
    else {
      say(`Domus is not running for ${home}${state.kind === "stale" ? ` (stale pid file ${paths.supervisorPid})` : ""}; start it with \`domus up\``);
    }
    return NOT_RUNNING;
  }
  if (json) {
    say(JSON.stringify({ running: true, ...status }, null, 2));
    return 0;
  }
  const rows: string[][] = [["NAME", "PID", "STATE", "RESTARTS", "UPTIME"]];
  rows.push(["supervisor", String(status.pid), "running", "0", formatUptime(now - status.startedAt)]);
  for (const s of status.services) {
    rows.push([s.name, s.pid === null ? "-" : String(s.pid), s.state, String(s.restarts),
      s.startedAt === null ? "-" : formatUptime(now - s.startedAt)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  say(`Domus host ${home}`);
  for (const r of rows) say(r.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd());
  return 0;
}

// Services left running by a supervisor that was killed (SIGKILL cannot be caught, so it had no
// chance to stop them). Their pids are in its last status file; each is checked against /proc so
// a pid reused by another program is never touched.

import type { HomePaths } from "../lib/home.js";
import { processRuns } from "./pidfile.js";
import { readStatus } from "./status-file.js";

export interface Leftover {
  readonly name: string;
  readonly pid: number;
}

export function leftoverServices(paths: HomePaths): Leftover[] {
  const status = readStatus(paths.supervisorStatus);
  if (status === undefined) return [];
  const out: Leftover[] = [];
  for (const s of status.services) {
    // Each service runs with `--home HOME`; that, not the name, identifies our process.
    if (s.pid !== null && processRuns(s.pid, paths.home)) out.push({ name: s.name, pid: s.pid });
  }
  return out;
}

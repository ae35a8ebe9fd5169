// The supervisor's view of its services, written to DOMUS_HOME/run/supervisor.json on every change
// (write to a temporary name, then rename, so a reader never sees half a file). `domus status` and
// `domus up` read it; they check the supervisor's pid themselves, so a file left by a killed
// supervisor is never taken for a running host.

import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../lib/atomic-write.js";
import { isObj } from "../lib/check.js";

export type ServiceState = "starting" | "running" | "backoff" | "stopping" | "stopped";

export interface ServiceStatus {
  readonly name: string;
  readonly pid: number | null;
  readonly state: ServiceState;
  /** Restarts after the first start. */
  readonly restarts: number;
  /** ms since the epoch when the current process started, or null. */
  readonly startedAt: number | null;
  /** How the previous process ended, e.g. "exit 1" or "signal SIGKILL". */
  readonly lastExit: string | null;
}

export interface SupervisorStatus {
  readonly pid: number;
  readonly home: string;
  readonly startedAt: number;
  readonly services: readonly ServiceStatus[];
}

const STATES: readonly ServiceState[] = ["starting", "running", "backoff", "stopping", "stopped"];

export function writeStatus(path: string, status: SupervisorStatus): void {
  writeFileAtomic(path, `${JSON.stringify(status, null, 2)}\n`);
}

/** The status file, or undefined if it is missing or not one of ours. */
export function readStatus(path: string): SupervisorStatus | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  if (!isObj(raw) || typeof raw.pid !== "number" || typeof raw.home !== "string"
    || typeof raw.startedAt !== "number" || !Array.isArray(raw.services)) return undefined;
  const services: ServiceStatus[] = [];
  for (const s of raw.services) {
    if (!isObj(s) || typeof s.name !== "string" || typeof s.restarts !== "number"
      || !(STATES as readonly unknown[]).includes(s.state)) return undefined;
    services.push({
      name: s.name,
      pid: typeof s.pid === "number" ? s.pid : null,
      state: s.state as ServiceState,
      restarts: s.restarts,
      startedAt: typeof s.startedAt === "number" ? s.startedAt : null,
      lastExit: typeof s.lastExit === "string" ? s.lastExit : null,
    });
  }
  return { pid: raw.pid, home: raw.home, startedAt: raw.startedAt, services };
}

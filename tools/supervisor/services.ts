// The services a Domus host runs, in start order. Each is a Node program in dist/ started with
// --home; it is ready when its socket accepts a connection (services without a socket we know of
// are ready once they have stayed up briefly). Services whose program is not built yet (store,
// while it is being written) are skipped, not failed, so the host runs with what exists.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { HomePaths } from "../lib/home.js";

export interface ServiceDef {
  readonly name: string;
  /** The program, absolute. */
  readonly entry: string;
  /** Unix socket that accepts connections once the service is ready. */
  readonly readySocket?: string;
  /** Required services make `domus up` fail when their program is missing. */
  readonly required: boolean;
}

/** Part of the supervisor program's path: how its pid is told from a reused one (pidfile.ts). */
export const SUPERVISOR_MARKER = "supervisor/main.js";

export function supervisorEntry(root: string): string {
  return join(root, "dist/tools/supervisor/main.js");
}

/** Milliseconds a socketless service must stay up to count as started. */
export const SETTLE_MS = 300;

export function serviceTable(root: string, paths: HomePaths): ServiceDef[] {
  return [
    { name: "kernel", entry: join(root, "dist/kernel/host/kernel-main.js"), readySocket: paths.kernelSocket, required: true },
    { name: "store", entry: join(root, "dist/services/store/main.js"), readySocket: join(paths.run, "xenstored", "socket"), required: false },
    { name: "blk", entry: join(root, "dist/services/blk/main.js"), required: false },
    { name: "net", entry: join(root, "dist/services/net/main.js"), readySocket: join(paths.run, "net", "control.sock"), required: false },
    { name: "vnc", entry: join(root, "dist/services/vnc/main.js"), required: false },
    { name: "xend", entry: join(root, "dist/tools/xend/main.js"), readySocket: paths.xendSocket, required: true },
  ];
}

/** The services to run: required ones always (a missing one is reported at start), others if built. */
export function servicesToRun(table: readonly ServiceDef[]): ServiceDef[] {
  return table.filter((s) => s.required || existsSync(s.entry));
}

// Where one Domus host keeps its state. Every process of a host (supervisor, kernel, services,
// xend, xm) finds its sockets, logs and databases from the same DOMUS_HOME, so two hosts on one
// machine are just two homes.

import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { KERNEL_SOCKET } from "../../kernel/public/protocol.js";
import { XEND_SOCKET } from "../../kernel/public/xend-protocol.js";

export interface HomePaths {
  readonly home: string;
  readonly run: string;
  readonly log: string;
  /** Managed domains (xm new), one SXP file each. */
  readonly domains: string;
  /** xend's records of running domains, so a restarted xend keeps their lifecycle settings. */
  readonly xendState: string;
  readonly kernelSocket: string;
  readonly xendSocket: string;
  readonly supervisorPid: string;
  readonly supervisorStatus: string;
  readonly xendConfig: string;
  /** Domains' disk images, one folder per domain (images/<vm>/disk0), as vm-install makes them. */
  readonly images: string;
}

/** --home wins over DOMUS_HOME, which wins over ~/.domus; always an absolute path. */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== "") return resolve(flag);
  const fromEnv = env.DOMUS_HOME;
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  return join(homedir(), ".domus");
}

export function homePaths(home: string): HomePaths {
  const run = join(home, "run");
  return {
    home,
    run,
    log: join(home, "log"),
    domains: join(home, "domains"),
    xendState: join(home, "xend"),
    kernelSocket: join(home, KERNEL_SOCKET),
    xendSocket: join(home, XEND_SOCKET),
    supervisorPid: join(run, "supervisor.pid"),
    supervisorStatus: join(run, "supervisor.json"),
    xendConfig: join(home, "xend-config.sxp"),
    images: join(home, "images"),
  };
}

/** Create the folders a running host writes to. */
export function ensureHomeDirs(p: HomePaths): void {
  for (const dir of [p.home, p.run, p.log, p.domains, p.xendState]) mkdirSync(dir, { recursive: true });
}

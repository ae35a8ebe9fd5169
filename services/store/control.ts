// XS_CONTROL (once XS_DEBUG): commands for the host's administrator, as `xenstore-control`
// sends them. Xen's set, less what Domus has no use for (live update, log files, memory reports).

import { XsError } from "./error.js";
import { isQuotaName, type Quotas } from "./quota.js";

export interface ControlTarget {
  quotas: Quotas;
  /** Database consistency problems; empty if consistent. */
  check(): string[];
  log(msg: string): void;
}

const HELP = `Available commands:
check
help
print <string>
quota [<quota> <value>]
`;

/** Runs one command; returns the reply text. */
export function control(target: ControlTarget, args: string[]): string {
  const [cmd, ...rest] = args;
  switch (cmd) {
    case "help":
      return HELP;
    case "check": {
      const problems = target.check();
      for (const p of problems) target.log(`check: ${p}`);
      if (problems.length) throw new XsError("EIO", "database inconsistent");
      return "OK";
    }
    case "print":
      if (rest.length !== 1) throw new XsError("EINVAL");
      target.log(`print: ${rest[0]}`);
      return "OK";
    case "quota": {
      if (rest.length === 0) {
        return Object.entries(target.quotas).map(([k, v]) => `${k}: ${v}\n`).join("");
      }
      const [name, value] = rest;
      const n = /^\d{1,9}$/.test(value ?? "") ? Number(value) : 0;
      if (rest.length !== 2 || !isQuotaName(name) || n < 1) throw new XsError("EINVAL");
      target.quotas[name] = n;
      return "OK";
    }
    default:
      throw new XsError("EINVAL", `unknown control command "${cmd ?? ""}"`);
  }
}

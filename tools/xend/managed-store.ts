// Managed domains (the manual's "xen-managed domains", §6.6): configurations that xend keeps
// whether or not the domain runs, one SXP file per domain in DOMUS_HOME/domains/<name>.sxp.
// `xm new` writes one, `xm delete` removes it, `xm start` starts the domain from it.

import { readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/atomic-write.js";

const SUFFIX = ".sxp";

export class ManagedStore {
  constructor(private readonly dir: string) {}

  private file(name: string): string {
    // Domain names are checked words (no "/"), so the name is a safe file name.
    return join(this.dir, `${name}${SUFFIX}`);
  }

  pathOf(name: string): string {
    return this.file(name);
  }

  names(): string[] {
    let entries: string[];
    try {
      entries = readdirSync(this.dir);
    } catch {
      return [];
    }
    return entries.filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)).sort();
  }

  /** The stored SXP text, or undefined if there is no managed domain of that name. */
  read(name: string): string | undefined {
    try {
      return readFileSync(this.file(name), "utf8");
    } catch {
      return undefined;
    }
  }

  write(name: string, sxp: string): void {
    writeFileAtomic(this.file(name), sxp.endsWith("\n") ? sxp : `${sxp}\n`);
  }

  remove(name: string): boolean {
    try {
      unlinkSync(this.file(name));
      return true;
    } catch {
      return false;
    }
  }
}

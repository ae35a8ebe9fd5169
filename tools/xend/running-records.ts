// What xend knows about each running domain beyond what the kernel reports: the configuration it
// was started with (for on_reboot restarts and `xm list -l`), whether it is managed, when it
// started, and its recent automatic restarts. Kept in DOMUS_HOME/xend/running.json so a restarted
// xend finds the same domains with the same settings; the kernel stays the authority on which
// domains exist.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/atomic-write.js";
import { isObj } from "../lib/check.js";

export interface RunningRecord {
  readonly domid: number;
  readonly name: string;
  /** The configuration as SXP text. */
  readonly config: string;
  readonly managed: boolean;
  /** Seconds since the epoch. */
  readonly startTime: number;
  /** ms timestamps of automatic restarts (for the restart-loop guard). */
  readonly restarts: readonly number[];
}

function parseRecord(v: unknown): RunningRecord | undefined {
  if (!isObj(v)) return undefined;
  const { domid, name, config, managed, startTime, restarts } = v;
  if (typeof domid !== "number" || typeof name !== "string" || typeof config !== "string"
    || typeof managed !== "boolean" || typeof startTime !== "number" || !Array.isArray(restarts)
    || !restarts.every((t) => typeof t === "number")) return undefined;
  return { domid, name, config, managed, startTime, restarts: restarts as number[] };
}

export class RunningRecords {
  private readonly records = new Map<number, RunningRecord>();
  private readonly path: string;

  constructor(dir: string, log: (msg: string) => void) {
    this.path = join(dir, "running.json");
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.path, "utf8"));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") log(`ignoring unreadable ${this.path}: ${(e as Error).message}`);
      return;
    }
    for (const r of Array.isArray(raw) ? raw : []) {
      const rec = parseRecord(r);
      if (rec === undefined) log(`ignoring a malformed record in ${this.path}`);
      else this.records.set(rec.domid, rec);
    }
  }

  get(domid: number): RunningRecord | undefined {
    return this.records.get(domid);
  }

  all(): RunningRecord[] {
    return [...this.records.values()];
  }

  set(rec: RunningRecord): void {
    this.records.set(rec.domid, rec);
    this.save();
  }

  delete(domid: number): void {
    if (this.records.delete(domid)) this.save();
  }

  /** Keep only the records whose domain the kernel still has under the same name. */
  retain(alive: (rec: RunningRecord) => boolean): void {
    let changed = false;
    for (const rec of this.all()) {
      if (!alive(rec)) {
        this.records.delete(rec.domid);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  private save(): void {
    writeFileAtomic(this.path, `${JSON.stringify(this.all(), null, 2)}\n`);
  }
}

// The supervisor's pid file: one supervisor per DOMUS_HOME. A pid file whose process is gone, or
// is now some other program (pids are reused), is stale and may be replaced; checking the command
// line through /proc tells the two apart.

import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from "node:fs";

export type PidFileState =
  | { readonly kind: "absent" }
  | { readonly kind: "alive"; readonly pid: number }
  | { readonly kind: "stale"; readonly pid: number | undefined };

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The process's command line, or undefined when it is gone (or /proc is unavailable). */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return undefined;
  }
}

/** Is `pid` alive and running `marker` (a script path fragment)? */
export function processRuns(pid: number, marker: string): boolean {
  if (!processAlive(pid)) return false;
  const cmd = commandLine(pid);
  // Without /proc we cannot tell a reused pid apart; trust that it is ours.
  return cmd === undefined || cmd.includes(marker);
}

export function readPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

export function pidFileState(path: string, marker: string): PidFileState {
  let exists = true;
  try {
    readFileSync(path);
  } catch {
    exists = false;
  }
  if (!exists) return { kind: "absent" };
  const pid = readPid(path);
  if (pid !== undefined && processRuns(pid, marker)) return { kind: "alive", pid };
  return { kind: "stale", pid };
}

/** Create the pid file only if none exists: two supervisors starting at once cannot both win. */
export function claimPidFile(path: string, pid: number): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  writeSync(fd, `${pid}\n`);
  closeSync(fd);
  return true;
}

export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

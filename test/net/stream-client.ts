// Runs test/net/stream-client.py, a scapy guest on a stream socket, and collects its JSON lines.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Debian's interpreter: python3-scapy is installed for it, not for any other python3 on PATH. */
const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./stream-client.py", import.meta.url));

export type Step = Record<string, unknown> & { step: string; error?: string };

export interface ClientRun {
  /** Settles once the client has connected (its first line); rejects if it exits first. */
  readonly connected: Promise<void>;
  /** Every line the client printed, once it has exited; rejects with its output if it failed. */
  readonly done: Promise<Step[]>;
  kill(): void;
}

export function startClient(socket: string, mac: string, steps: string[]): ClientRun {
  const child = spawn(PYTHON, [SCRIPT, socket, mac, ...steps], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: Step[] = [];
  let out = "";
  let err = "";
  let onConnected: () => void = () => {};
  let onFailed: (e: Error) => void = () => {};
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onFailed = reject;
  });
  // A failure also rejects `done`, which every caller awaits; this one may go unwatched.
  connected.catch(() => {});
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    for (let nl = out.indexOf("\n"); nl >= 0; nl = out.indexOf("\n")) {
      lines.push(JSON.parse(out.slice(0, nl)) as Step);
      out = out.slice(nl + 1);
      onConnected();
    }
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<Step[]>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      const failure = new Error(`stream-client ${steps.join(" ")} failed (${code}): ${JSON.stringify(lines)} ${err}`);
      onFailed(failure);
      if (code === 0) resolve(lines);
      else reject(failure);
    });
  });
  return { connected, done, kill: () => child.kill("SIGKILL") };
}

/** The result line of one step. */
export function stepOf(lines: Step[], name: string): Step {
  const found = lines.find((l) => l.step === name);
  if (found === undefined) throw new Error(`no ${name} step in ${JSON.stringify(lines)}`);
  return found;
}

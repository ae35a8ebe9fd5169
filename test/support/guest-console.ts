// Drives a guest's serial console from a test, the way a person at a terminal would: start
// `domus run` (or a peer such as QEMU), wait for text, type, and collect the exit status.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

export const DOMUS = fileURLToPath(new URL("../../dist/tools/domus.js", import.meta.url));

export class GuestConsole {
  private output = "";
  private mark = 0;
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    // A guest that exits while we type is the test's business, not an unhandled EPIPE.
    child.stdin.on("error", () => {});
    child.stdout.setEncoding("latin1");
    child.stderr.setEncoding("latin1");
    const onText = (s: string): void => {
      this.output += s;
      for (const w of this.waiters.splice(0)) w();
    };
    child.stdout.on("data", onText);
    child.stderr.on("data", onText);
    this.exited = new Promise((resolve) => child.on("exit", (code) => {
      for (const w of this.waiters.splice(0)) w();
      resolve(code);
    }));
  }

  /** `domus run ARGS` with the console on pipes. */
  static domus(args: string[]): GuestConsole {
    return new GuestConsole(spawn(process.execPath, [DOMUS, "run", ...args], { stdio: "pipe" }));
  }

  static command(file: string, args: string[]): GuestConsole {
    return new GuestConsole(spawn(file, args, { stdio: "pipe" }));
  }

  /** Everything printed so far. */
  get text(): string {
    return this.output;
  }

  /**
   * Wait until `pattern` appears in the output after the previous match; returns the text from
   * the previous match up to and including this one.
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output.slice(this.mark);
      const m = typeof pattern === "string"
        ? (rest.includes(pattern) ? { index: rest.indexOf(pattern), length: pattern.length } : undefined)
        : (() => { const r = pattern.exec(rest); return r ? { index: r.index, length: r[0].length } : undefined; })();
      if (m !== undefined) {
        const end = this.mark + m.index + m.length;
        const seen = this.output.slice(this.mark, end);
        this.mark = end;
        return seen;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(`timed out waiting for ${String(pattern)}; console so far:\n${this.output.slice(-3000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  type(text: string): void {
    this.child.stdin.write(text);
  }

  /** Type a command line and return its output, up to the next prompt. */
  async run(command: string, prompt: string | RegExp, timeoutMs?: number): Promise<string> {
    this.type(`${command}\r`);
    return this.waitFor(prompt, timeoutMs);
  }

  async exitCode(timeoutMs = 30_000): Promise<number | null> {
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
    const result = await Promise.race([this.exited, timer]);
    if (result === "timeout") throw new Error(`the guest did not exit within ${timeoutMs} ms`);
    return result;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

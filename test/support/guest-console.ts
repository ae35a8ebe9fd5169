// Drives a guest's serial console from a test, the way a person at a terminal would: start
// `domus run` (or a peer such as QEMU), wait for text, type, and collect the exit status.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ConsoleDriver } from "./console-driver.js";

export const DOMUS = fileURLToPath(new URL("../../dist/tools/domus.js", import.meta.url));

export class GuestConsole extends ConsoleDriver {
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    super();
    // A guest that exits while we type is the test's business, not an unhandled EPIPE.
    child.stdin.on("error", () => {});
    child.stdout.setEncoding("latin1");
    child.stderr.setEncoding("latin1");
    const onText = (s: string): void => this.append(s);
    child.stdout.on("data", onText);
    child.stderr.on("data", onText);
    this.exited = new Promise((resolve) => child.on("exit", (code) => {
      this.wakeWaiters();
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

  protected running(): boolean {
    return this.child.exitCode === null;
  }

  type(text: string): void {
    this.child.stdin.write(text);
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

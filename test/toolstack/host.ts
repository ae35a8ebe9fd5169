// A Domus host for a test, driven the way a user drives one: `domus up` in a fresh DOMUS_HOME,
// `xm …` and `domus …` as separate processes, `domus down` at the end.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_GATEWAY } from "../../services/net/passt-uplink.js";
import { GuestConsole } from "../support/guest-console.js";

export const DOMUS = fileURLToPath(new URL("../../dist/tools/domus.js", import.meta.url));
export const XM = fileURLToPath(new URL("../../dist/tools/xm/main.js", import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 60_000, wrapper: readonly string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const [program, ...lead] = [...wrapper, process.execPath];
    const child = spawn(program, [...lead, file, ...args], { env: { ...process.env, ...env }, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => { stdout += s; });
    child.stderr.setEncoding("utf8").on("data", (s: string) => { stderr += s; });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} ${args.join(" ")} did not finish in ${timeoutMs} ms; output so far:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      // Give the pipes a moment to drain after exit.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
    child.stdin.on("error", () => {});
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

export class TestHost {
  readonly home: string;
  /** A folder for the test's configs and images, removed with the home. */
  readonly dir: string;

  /** `extra`: more environment for every process of the host (e.g. DOMUS_VNC_BASE_PORT). */
  constructor(private readonly extra: NodeJS.ProcessEnv = {}) {
    // Short path: Unix socket paths are limited to 107 bytes.
    this.home = mkdtempSync(join(tmpdir(), "domus-"));
    this.dir = join(this.home, "test");
    mkdirSync(this.dir);
  }

  get env(): NodeJS.ProcessEnv {
    return { ...this.extra, DOMUS_HOME: this.home };
  }

  domus(...args: string[]): Promise<Run> {
    return run(DOMUS, args, this.env);
  }

  xm(...args: string[]): Promise<Run> {
    return run(XM, args, this.env);
  }

  async up(): Promise<Run> {
    const r = await this.domus("up");
    if (r.code !== 0) throw new Error(`domus up failed (${r.code}):\n${r.stdout}${r.stderr}`);
    return r;
  }

  /**
   * `domus up` in a user and network namespace of its own, with loopback up, holding the address
   * passt gives guests as their gateway (passt sends a guest's ping to that address from the host,
   * so this "host" answers it), and ping sockets allowed (this machine may forbid them): for tests
   * whose guests reach "the host" through passt, so they reach only this namespace. The test
   * talks to it through its Unix sockets.
   */
  async upInNetns(): Promise<Run> {
    const setup = [
      "set -e",
      "ip link set lo up",
      `ip addr add ${DEFAULT_GATEWAY}/32 dev lo`,
      'echo "0 0" > /proc/sys/net/ipv4/ping_group_range', // root, the only group mapped into it
      'exec "$0" "$@"',
    ].join("\n");
    const r = await run(DOMUS, ["up"], this.env, undefined, 60_000, ["unshare", "--user", "--map-root-user", "--net", "sh", "-c", setup]);
    if (r.code !== 0) throw new Error(`domus up in a network namespace failed (${r.code}):\n${r.stdout}${r.stderr}`);
    return r;
  }

  /** The pid of a service, from the supervisor's status file. */
  servicePid(name: string): number {
    const pid = this.runningPid(name);
    if (pid === undefined) throw new Error(`no pid for ${name}`);
    return pid;
  }

  /** The pid of a service, or undefined while it is not running (the supervisor restarts it). */
  runningPid(name: string): number | undefined {
    const status = JSON.parse(readFileSync(join(this.home, "run/supervisor.json"), "utf8")) as { services: { name: string; pid: number | null }[] };
    return status.services.find((s) => s.name === name)?.pid ?? undefined;
  }

  /** Its `xm list` row for the domain `name` (columns split at spaces), if it has one. */
  /** Writes `config` to NAME.cfg in the test's folder and runs `xm create -c` on it: the guest's console from its first line. */
  createWithConsole(name: string, config: string): GuestConsole {
    const cfg = join(this.dir, `${name}.cfg`);
    writeFileSync(cfg, config);
    return GuestConsole.command(process.execPath, [XM, "--home", this.home, "create", "-c", cfg]);
  }

  async row(name: string): Promise<string[] | undefined> {
    return listRows((await this.xm("list")).stdout).find((r) => r[0] === name);
  }

  async down(): Promise<void> {
    await this.domus("down");
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The host of one test file: `domus up` before its tests, down (and its folders removed) after them. */
export function hostForTests(start: (host: TestHost) => Promise<unknown> = (host) => host.up()): TestHost {
  const host = new TestHost();
  beforeAll(() => start(host));
  afterAll(() => host.down());
  return host;
}

/** Poll until `check` holds (or throw after timeoutMs). */
export async function eventually<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The rows of `xm list` as [name, id, mem, vcpus, state]. */
export function listRows(text: string): string[][] {
  return text.trimEnd().split("\n").slice(1).map((line) => {
    // Names hold no spaces; one longer than its 40 columns pushes the others right, as in Xen.
    const nameEnd = Math.max(40, line.indexOf(" "));
    const name = line.slice(0, nameEnd).trimEnd();
    const rest = line.slice(nameEnd + 1);
    return [name, rest.slice(0, 5).trim(), rest.slice(6, 11).trim(), rest.slice(12, 17).trim(), rest.slice(18, 28).trim()];
  });
}

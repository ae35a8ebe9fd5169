// Runs a host's services as child processes: starts them in order (each once the previous one is
// ready), restarts any that dies after a backoff delay, and stops them in reverse order. Only the
// kernel holds guests, so restarting any other service leaves every guest running.

import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Backoff } from "./backoff.js";
import { SETTLE_MS, type ServiceDef } from "./services.js";
import type { ServiceState, ServiceStatus, SupervisorStatus } from "./status-file.js";
import { listening } from "../lib/frame-server.js";

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

class Service {
  child: ChildProcess | undefined;
  state: ServiceState = "stopped";
  restarts = 0;
  startedAt: number | null = null;
  lastExit: string | null = null;
  readonly backoff = new Backoff();
  restartTimer: NodeJS.Timeout | undefined;
  exited: Promise<void> = Promise.resolve();

  constructor(readonly def: ServiceDef) {}

  status(): ServiceStatus {
    return {
      name: this.def.name, pid: this.child?.pid ?? null, state: this.state,
      restarts: this.restarts, startedAt: this.startedAt, lastExit: this.lastExit,
    };
  }
}

export interface SupervisorOptions {
  readonly home: string;
  readonly logDir: string;
  readonly services: readonly ServiceDef[];
  /** Called with the whole status after every change. */
  readonly onStatus: (s: SupervisorStatus) => void;
  readonly log: (msg: string) => void;
}


export class Supervisor {
  private readonly services: Service[];
  private stopping = false;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: SupervisorOptions) {
    this.services = opts.services.map((d) => new Service(d));
  }

  status(): SupervisorStatus {
    return { pid: process.pid, home: this.opts.home, startedAt: this.startedAt, services: this.services.map((s) => s.status()) };
  }

  private changed(): void {
    this.opts.onStatus(this.status());
  }

  /** Start every service in order, each after the previous one is ready. */
  async start(): Promise<void> {
    this.changed();
    for (const s of this.services) {
      if (this.stopping) return;
      if (!existsSync(s.def.entry)) {
        throw new Error(`${s.def.name}: ${s.def.entry} does not exist; run \`npm run build\``);
      }
      this.spawn(s);
      await this.untilRunning(s);
    }
  }

  private spawn(s: Service): void {
    const logPath = join(this.opts.logDir, `${s.def.name}.log`);
    const fd = openSync(logPath, "a");
    const child = spawn(process.execPath, [s.def.entry, "--home", this.opts.home], {
      stdio: ["ignore", fd, fd],
      env: { ...process.env, DOMUS_HOME: this.opts.home },
    });
    closeSync(fd); // the child holds its own copy
    s.child = child;
    s.state = "starting";
    s.startedAt = Date.now();
    this.opts.log(`${s.def.name}: started, pid ${child.pid ?? "?"}`);
    s.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.onExit(s, child, code, signal);
        resolve();
      });
    });
    child.once("error", (e) => this.opts.log(`${s.def.name}: ${e.message}`));
    this.changed();
    void this.watchReady(s, child);
  }

  /** Mark it running when its socket accepts (or, without one, when it has stayed up a moment). */
  private async watchReady(s: Service, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!this.stopping && s.child === child && child.exitCode === null && child.signalCode === null) {
      const ready = s.def.readySocket !== undefined
        ? await listening(s.def.readySocket)
        : Date.now() - (s.startedAt ?? 0) >= SETTLE_MS;
      if (s.child !== child || this.stopping) return;
      if (ready || Date.now() > deadline) {
        // Up but silent past the deadline: count it as running so the others start; its log says why.
        this.opts.log(ready ? `${s.def.name}: ready` : `${s.def.name}: not ready after ${READY_TIMEOUT_MS} ms; carrying on`);
        s.state = "running";
        this.changed();
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Wait until the service is running (through as many restarts as it takes) or we stop. */
  private untilRunning(s: Service): Promise<void> {
    return new Promise((resolve) => {
      const poll = setInterval(() => {
        if (this.stopping || s.state === "running") { clearInterval(poll); resolve(); }
      }, 20);
    });
  }

  private onExit(s: Service, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.child !== child) return;
    s.lastExit = signal !== null ? `signal ${signal}` : `exit ${code ?? "?"}`;
    const ranMs = Date.now() - (s.startedAt ?? Date.now());
    const wasReady = s.state === "running";
    s.child = undefined;
    s.startedAt = null;
    if (this.stopping) {
      s.state = "stopped";
      this.changed();
      return;
    }
    const delay = s.backoff.afterExit(wasReady);
    this.opts.log(`${s.def.name}: ended (${s.lastExit}) after ${ranMs} ms; restarting in ${delay} ms`);
    s.state = "backoff";
    this.changed();
    s.restartTimer = setTimeout(() => {
      s.restartTimer = undefined;
      if (this.stopping) return;
      s.restarts++;
      this.spawn(s);
    }, delay);
  }

  /** Stop in reverse order: SIGTERM, then SIGKILL if it has not ended in time. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const s of [...this.services].reverse()) {
      if (s.restartTimer !== undefined) clearTimeout(s.restartTimer);
      const child = s.child;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
        s.state = "stopped";
        continue;
      }
      s.state = "stopping";
      this.changed();
      this.opts.log(`${s.def.name}: stopping pid ${child.pid ?? "?"}`);
      child.kill("SIGTERM");
      const killed = await Promise.race([
        s.exited.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), STOP_TIMEOUT_MS)),
      ]);
      if (killed) {
        this.opts.log(`${s.def.name}: did not stop within ${STOP_TIMEOUT_MS} ms; SIGKILL`);
        child.kill("SIGKILL");
        await s.exited;
      }
      s.state = "stopped";
      this.changed();
    }
  }
}

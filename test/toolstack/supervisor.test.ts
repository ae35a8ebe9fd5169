// `domus up`, `domus status`, `domus down` on a real host: one supervisor per home, stale pid
// files, and a killed xend brought back by the supervisor.

import { afterEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestHost, eventually } from "./host.js";

let host: TestHost | undefined;
afterEach(async () => {
  await host?.down();
  host = undefined;
});

describe("domus up / status / down", () => {
  it("starts kernel and xend, shows them, and stops them", async () => {
    host = new TestHost();
    const up = await host.up();
    expect(up.stdout).toMatch(/^kernel\s+\d+\s+running\s+0\s/m);
    expect(up.stdout).toMatch(/^xend\s+\d+\s+running\s+0\s/m);

    const status = await host.domus("status", "--json");
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { running: boolean; services: { name: string; state: string; pid: number }[] };
    expect(parsed.running).toBe(true);
    expect(parsed.services.map((s) => s.name)).toEqual(expect.arrayContaining(["kernel", "xend"]));
    expect(parsed.services.every((s) => s.state === "running" && s.pid > 0)).toBe(true);

    const table = await host.domus("status");
    expect(table.stdout).toMatch(/NAME\s+PID\s+STATE\s+RESTARTS\s+UPTIME/);

    const down = await host.domus("down");
    expect(down.code).toBe(0);
    expect(down.stdout).toContain("Domus stopped");
    for (const s of parsed.services) expect(() => process.kill(s.pid, 0)).toThrow();
    const after = await host.domus("status");
    expect(after.code).toBe(3);
    expect(after.stdout).toContain("Domus is not running");
  });

  it("refuses a second up for the same home", async () => {
    host = new TestHost();
    await host.up();
    const again = await host.domus("up");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already running for .* \(supervisor pid \d+\)/);
    expect(again.stderr).toContain("domus down");
  });

  it("replaces a stale pid file", async () => {
    host = new TestHost();
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(host.home, "run"), { recursive: true });
    // A pid that is certainly not a supervisor: pid 1 is init.
    writeFileSync(join(host.home, "run/supervisor.pid"), "1\n");
    const up = await host.domus("up");
    expect(up.code).toBe(0);
    expect(up.stderr).toContain("removed a stale pid file");
  });

  it("restarts xend after kill -9, and xm list shows the same domains", async () => {
    host = new TestHost();
    await host.up();
    const before = await host.xm("list");
    expect(before.code).toBe(0);
    const pid = host.servicePid("xend");
    process.kill(pid, "SIGKILL");
    await eventually("xend restarted", async () => JSON.parse((await host!.domus("status", "--json")).stdout) as { services: { name: string; pid: number; restarts: number; state: string }[] },
      (s) => s.services.some((x) => x.name === "xend" && x.restarts === 1 && x.state === "running" && x.pid !== pid));
    const after = await host.xm("list");
    expect(after.code).toBe(0);
    const names = (t: string) => t.split("\n").slice(1).map((l) => l.slice(0, 46));
    expect(names(after.stdout)).toEqual(names(before.stdout));
  });
});

// A guest that sleeps in WFI costs the host no CPU: the run loop sleeps until the next timer.

import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { Machine } from "../kernel/host/machine.js";

const IDLE_GUEST = fileURLToPath(new URL("../guests/isa/bin/wfi_idle.elf", import.meta.url));
const MASKED_TIMERS = fileURLToPath(new URL("../guests/isa/bin/probe_pv_timer_masked.elf", import.meta.url));

describe("an idle guest", () => {
  it("sleeps through 1 s of timer waits using a small fraction of one host CPU", async () => {
    const machine = new Machine({ bios: null, kernel: IDLE_GUEST, memMiB: 16, harts: 1 });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const status = await machine.run();
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu0);
    const cpuMs = (used.user + used.system) / 1000;
    expect(status).toBe(0);
    // Five 200 ms timer waits: the guest time follows the host clock.
    expect(wallMs).toBeGreaterThanOrEqual(990);
    // Busy-waiting would burn ~100% of the wall time; sleeping costs a few wake-ups.
    expect(cpuMs).toBeLessThan(wallMs * 0.1);
  });

  it("is not woken by a timer it disabled, nor by one of a vCPU it stopped: nothing is due", () => {
    for (const harts of [1, 2]) {
      const machine = new Machine({ builder: "linux", bios: null, kernel: MASKED_TIMERS, memMiB: 16, harts });
      try {
        let r = machine.step();
        for (let i = 0; i < 10 && r.kind !== "idle"; i++) r = machine.step();
        expect(r).toEqual({ kind: "idle", ms: Infinity });
        expect(machine.onlineVcpus()).toEqual([0]);
      } finally {
        machine.close();
      }
    }
  });
});

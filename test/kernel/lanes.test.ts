// Lanes (kernel/cpu/lanes.ts), in the test's own thread: whenever two vCPUs of a paravirtual
// machine have work, two other instances of the kernel on its memory run lane 0 and lane 1 of the
// slice one after the other, as two pCPU workers would at once, and the machine's own instance
// takes up what both left. Each lane must touch only its own vCPU: the two vCPUs count together
// (probe_pv_smp) and hand a device read back home halfway, and the counts must come out exact.

import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { Machine, type StepResult } from "../../kernel/host/machine.js";
import { instantiateKernel, kernelModule } from "../../kernel/host/wasm-kernel.js";

const PROBE = fileURLToPath(new URL("../../guests/isa/bin/probe_pv_smp.elf", import.meta.url));
const SLICE = 200_000;

describe("lanes", () => {
  it("run each vCPU of a paravirtual machine on an instance of its own, losing nothing", () => {
    const machine = new Machine({ builder: "linux", bios: null, kernel: PROBE, memMiB: 16, harts: 2 });
    let text = "";
    machine.onConsole = (bytes) => (text += Buffer.from(bytes).toString("latin1"));
    let laneSlices = 0;
    let lanes: ReturnType<typeof instantiateKernel>[] = [];
    let r: StepResult = { kind: "ran", computing: false };
    for (let slice = 0; r.kind !== "shutdown" && slice < 20_000; slice++) {
      // As the hypervisor does: lanes only for a machine that computed through its last run (one
      // that a lane handed home runs at home first) and has work for both.
      if (!(r.kind === "ran" && r.computing) || machine.lanes < 2) {
        r = machine.step(SLICE);
        continue;
      }
      const { memory } = machine.leave();
      if (lanes.length === 0) lanes = [instantiateKernel(kernelModule(), memory), instantiateKernel(kernelModule(), memory)];
      const ends = lanes.map((k, index) => {
        k.unparkLane(index, 2);
        const reason = k.run(SLICE);
        k.parkLane();
        return { reason, code: k.exitCode() };
      });
      r = machine.arrive(ends);
      laneSlices++;
    }
    machine.close();
    expect(r).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(text).toBe("smp ok\n");
    expect(laneSlices).toBeGreaterThan(100);
  }, 60_000);
});

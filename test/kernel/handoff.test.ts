// A pCPU worker runs a slice of a machine on its own instance of the kernel, sharing the
// machine's memory: the instances hand the machine over with `park`/`unpark`. Here, in the test's
// own thread, every slice runs on a fresh instance (which knows nothing but what it is handed),
// or the machine's own instance and one other take turns (so both must agree on everything,
// the clock included). Anything a hand-over lost would show: firmware and guests must boot, take
// input, keep time, read their disk and tick as on one instance.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine, type MachineConfig, type StepResult } from "../../kernel/host/machine.js";
import { instantiateKernel, kernelModule, type KernelExports } from "../../kernel/host/wasm-kernel.js";
import { ChainDevice } from "../../kernel/host/virtio-backend.js";
import { VirtioBlk } from "../../services/blk/virtio-blk.js";
import { openRawImage } from "../../services/blk/formats/raw.js";
import { ConsoleDriver } from "../support/console-driver.js";
import { OPENSBI_FW_JUMP, UBOOT_PROMPT, UBOOT_SMODE, reachUbootPrompt } from "../support/firmware.js";
import { makeFatDisk, type FatDisk } from "../fixtures/fat-disk.js";
import { MINIOS } from "../support/guest-images.js";

const SLICE = 50_000;
const MAX_IDLE_MS = 1000;

type Handing = "fresh" | "alternate";

/** Runs a machine, its slices on other instances of the kernel on its memory as `handing` says. */
class HandedOver extends ConsoleDriver {
  private other: KernelExports | undefined;
  private stopped = false;
  private wake: () => void = () => {};
  private readonly done: Promise<void>;
  /** Slices another instance ran. */
  handovers = 0;

  constructor(readonly machine: Machine, private readonly handing: Handing) {
    super();
    machine.onConsole = (bytes) => this.append(Buffer.from(bytes).toString("latin1"));
    machine.onLog = () => {};
    this.done = this.loop().finally(() => this.wakeWaiters());
  }

  private async loop(): Promise<void> {
    for (let turn = 0; !this.stopped; turn++) {
      let r: StepResult;
      if (this.handing === "alternate" && turn % 2 === 0) {
        r = this.machine.step(SLICE);
      } else {
        const { memory } = this.machine.leave();
        if (this.handing === "fresh") this.other = undefined;
        this.other ??= instantiateKernel(kernelModule(), memory);
        this.other.unpark();
        const reason = this.other.run(SLICE);
        this.other.park();
        r = this.machine.arrive([{ reason, code: this.other.exitCode() }]);
        this.handovers++;
      }
      if (r.kind === "shutdown") return;
      // Asleep until the timer the machine's own instance computes (so it must agree with the
      // instance that armed it), or until input.
      if (r.kind === "idle") await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(r.ms, MAX_IDLE_MS));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  protected running(): boolean {
    return !this.stopped;
  }

  type(text: string): void {
    this.machine.input(new TextEncoder().encode(text));
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
    this.machine.close();
  }
}

let dir: string;
let disk: FatDisk;
const running: HandedOver[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-handoff-"));
  disk = await makeFatDisk(dir, { "hello.txt": new TextEncoder().encode("handed over\n") });
});
afterEach(async () => {
  for (const m of running.splice(0)) await m.stop();
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe.each(["fresh", "alternate"] as const)("a machine handed to %s kernel instances at every slice", (handing) => {
  const start = (config: MachineConfig): HandedOver => {
    const m = new HandedOver(new Machine(config), handing);
    running.push(m);
    return m;
  };

  it("OpenSBI and S-mode U-Boot boot to the prompt, answer, keep time, and read their virtio disk", async () => {
    const c = start({
      bios: OPENSBI_FW_JUMP, kernel: UBOOT_SMODE, memMiB: 128, harts: 1,
      virtio: [new ChainDevice(new VirtioBlk(await openRawImage(disk.path, false), "disk0"), () => {})],
    });
    await reachUbootPrompt(c);
    expect(await c.run("echo over", UBOOT_PROMPT)).toMatch(/\nover\r?\n/);
    // U-Boot reads the timer on whichever instance runs it: instances that disagree cut this short.
    const t0 = performance.now();
    await c.run("sleep 1", UBOOT_PROMPT);
    expect(performance.now() - t0).toBeGreaterThan(900);
    await c.run("virtio scan", UBOOT_PROMPT);
    expect(await c.run("fatload virtio 0:1 0x84000000 hello.txt", UBOOT_PROMPT)).toContain("12 bytes read");
    expect(await c.run(`crc32 0x84000000 \${filesize}`, UBOOT_PROMPT)).toContain(`==> ${disk.crc32["hello.txt"].toString(16).padStart(8, "0")}`);
    expect(c.handovers).toBeGreaterThan(10);
  });

  it("minios ticks on time and echoes what is typed on its PV console", async () => {
    const ticks = start({ builder: "linux", kernel: MINIOS, append: "mode=idle tick=100", memMiB: 32, harts: 1, bios: null });
    const t0 = performance.now();
    await ticks.waitFor("minios: tick 5\n");
    // Five ticks of 100 ms: a clock that stalled or jumped at a hand-over would show here.
    expect(performance.now() - t0).toBeGreaterThan(450);
    expect(performance.now() - t0).toBeLessThan(3000);

    const echo = start({ builder: "linux", kernel: MINIOS, append: "mode=echo", memMiB: 32, harts: 1, bios: null });
    await echo.waitFor("minios: ready");
    echo.type("handed over\r");
    await echo.waitFor("HANDED OVER"); // minios echoes in capitals
    expect(echo.handovers).toBeGreaterThan(0);
  });
});

// Save and restore (kernel/public/machine-state.ts): a machine's saved state, through msgpack,
// makes a new machine that goes on where the old one stopped. U-Boot at its prompt answers the
// next command and reads on from its virtio disk; minios ticks on from where it was (its time
// going on from the save, not jumping by the time the state lay still) and its PV console ring
// works both ways.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pack, unpack } from "msgpackr";
import { Machine, type MachineConfig } from "../kernel/host/machine.js";
import type { MachineState } from "../kernel/public/machine-state.js";
import { ChainDevice } from "../kernel/host/virtio-backend.js";
import { VirtioBlk } from "../services/blk/virtio-blk.js";
import { openRawImage } from "../services/blk/formats/raw.js";
import { MachineConsole } from "./support/machine-console.js";
import { OPENSBI_FW_JUMP, UBOOT_MMODE, UBOOT_PROMPT, UBOOT_SMODE, reachUbootPrompt } from "./support/firmware.js";
import { makeFatDisk, type FatDisk } from "./fixtures/fat-disk.js";
import { MINIOS } from "./support/guest-images.js";

const VIRTIO_STATUS_DRIVER_OK = 4;
/** mtime ticks per second (TIMEBASE_HZ). */
const TICKS_PER_S = 10_000_000n;

let dir: string;
let disk: FatDisk;
const consoles: MachineConsole[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-save-"));
  disk = await makeFatDisk(dir, { "hello.txt": new TextEncoder().encode("hello from the host\n") });
});
afterEach(async () => {
  for (const c of consoles.splice(0)) {
    await c.stop();
    c.machine.close();
  }
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function start(config: MachineConfig, state?: unknown): MachineConsole {
  const c = new MachineConsole(new Machine(config, state));
  consoles.push(c);
  return c;
}

/** Stop the machine between slices and save it; `bytes` is the state in msgpack, as a file or a stream carries it. */
async function save(c: MachineConsole): Promise<{ state: MachineState; bytes: Uint8Array }> {
  await c.stop();
  const state = c.machine.saveState();
  return { state, bytes: pack(state) };
}

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");

describe.each([
  ["M-mode U-Boot", { bios: UBOOT_MMODE }],
  ["OpenSBI + S-mode U-Boot", { bios: OPENSBI_FW_JUMP, kernel: UBOOT_SMODE }],
])("%s saved at its prompt", (_name, firmware) => {
  it("goes on in a new machine: answers the next command and reads on from its virtio disk", async () => {
    const config = async (): Promise<MachineConfig> => ({
      ...firmware, memMiB: 128, harts: 1,
      virtio: [new ChainDevice(new VirtioBlk(await openRawImage(disk.path, false), "disk0"), () => {})],
    });
    const before = start(await config());
    await reachUbootPrompt(before);
    await before.run("virtio scan", UBOOT_PROMPT);
    expect(await before.run("ls virtio 0:1 /", UBOOT_PROMPT)).toMatch(/\s20\s+hello\.txt/);
    const saved = await save(before);
    const blk = saved.state.virtio[0];
    expect(blk.status & VIRTIO_STATUS_DRIVER_OK).toBe(VIRTIO_STATUS_DRIVER_OK);
    expect(blk.queues[0].ready).toBe(true);
    expect(blk.queues[0].desc).not.toBe(0n);
    expect(blk.queues[0].lastAvail).toBeGreaterThan(0);

    const after = start(await config(), unpack(saved.bytes));
    expect(await after.run("echo restored", UBOOT_PROMPT)).toMatch(/\nrestored\r?\n/);
    // The driver set its queues up before the save; the restored transport carries them on.
    expect(await after.run("fatload virtio 0:1 0x84000000 hello.txt", UBOOT_PROMPT)).toContain("20 bytes read");
    expect(await after.run("crc32 0x84000000 ${filesize}", UBOOT_PROMPT)).toContain(`==> ${hex8(disk.crc32["hello.txt"])}`);
    expect(after.text).not.toContain("Hit any key to stop autoboot");
    await after.stop();
    const now = after.machine.saveState().virtio[0];
    expect(now.resets).toBe(blk.resets); // the driver did not set the device up again
    expect(now.queues[0].lastAvail).toBeGreaterThan(blk.queues[0].lastAvail);
  });
});

describe("minios saved while it ticks", () => {
  // maxmem above memory: the pages between are balloon holes, which the state keeps.
  const config: MachineConfig = { builder: "linux", kernel: MINIOS, append: "mode=idle tick=100", memMiB: 64, maxMemMiB: 96, harts: 1, bios: null };

  it("ticks on from where it was, its time going on from the save", async () => {
    const before = start(config);
    await before.waitFor("minios: tick 3\n");
    const saved = await save(before);
    // An idle 64 MiB domain: only the pages it wrote travel.
    expect(saved.bytes.length).toBeLessThan(1024 * 1024);

    await sleep(1000); // the state lies still for a second
    const after = start(config, unpack(saved.bytes));
    await after.waitFor("minios: tick 5\n");
    expect(after.text).toMatch(/^minios: tick 4\nminios: tick 5\n/);
    await after.stop();
    // It ran about two ticks' worth; the second it lay still is not in its time.
    const ran = after.machine.saveState().clint.mtime - saved.state.clint.mtime;
    expect(ran).toBeGreaterThan(0n);
    expect(ran).toBeLessThan((TICKS_PER_S * 8n) / 10n);
    expect(saved.state.pv?.balloon.length).toBe((32 * 1024 * 1024) / 4096);
    expect(after.machine.saveState().pv?.balloon).toEqual(saved.state.pv?.balloon);
    expect(() => new Machine({ ...config, maxMemMiB: 128 }, unpack(saved.bytes))).toThrow("state.maxMemMiB must be 128");
  });

  it("keeps its PV console ring working both ways", async () => {
    const echo: MachineConfig = { ...config, append: "mode=echo" };
    const before = start(echo);
    await before.waitFor("minios: ready");
    before.type("before");
    await before.waitFor("BEFORE");
    const saved = await save(before);

    const after = start(echo, unpack(saved.bytes));
    after.type("after the restore");
    await after.waitFor("AFTER THE RESTORE");
    expect(after.text).not.toContain("minios: booting");
  });
});

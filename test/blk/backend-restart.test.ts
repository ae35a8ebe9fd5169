// kill -9 of the block service while a guest writes: the kernel keeps every request the service
// had not answered and sends it again to the restarted service, so the guest never sees an error
// and every write it was told is done is in the image.

import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { GuestConsole } from "../support/guest-console.js";
import { reachUbootPrompt, UBOOT_MMODE, UBOOT_PROMPT } from "../support/firmware.js";
import { hostForTests, XM, eventually } from "../toolstack/host.js";

const KILLS = 20;
const BLOCKS_PER_WRITE = 64; // 32 KiB per request
const LOAD_ADDR = 0x84000000;

const host = hostForTests();
const dir = host.dir;

/** The word written at every 4-byte position of write number `i`. */
const patternOf = (i: number): number => (0x5a000000 + i * 0x10101) >>> 0;

describe("the block service restarted under a guest's write load", () => {
  it(`survives ${KILLS} kill -9 in a row: no error in the guest, every acknowledged write in the image`, async () => {
    const image = join(dir, "disk.raw");
    writeFileSync(image, "");
    await truncate(image, 16 * 1024 * 1024);
    const cfg = join(dir, "writer.cfg");
    writeFileSync(cfg, `name = 'writer'\nbuilder = 'hvm'\nmemory = 128\nbios = '${UBOOT_MMODE}'\ndisk = [ 'file:${image},xvda,w' ]\n`);
    const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", cfg]);
    await c.waitFor("Started domain writer");
    await reachUbootPrompt(c);
    await c.run("virtio scan", UBOOT_PROMPT);

    const acknowledged: number[] = [];
    let kills = 0;
    let lastPid = host.servicePid("blk");
    let stop = false;
    // The killer: each round waits for a new blk process that has served a write, then kills it.
    const killer = (async () => {
      while (kills < KILLS && !stop) {
        const served = acknowledged.length;
        await eventually("the block service restarted and serving", async () => ({ pid: host.servicePid("blk"), served: acknowledged.length }),
          (s) => s.pid !== lastPid || kills === 0, 20_000).catch(() => undefined);
        while (acknowledged.length < served + 2 && !stop) await new Promise((r) => setTimeout(r, 20));
        lastPid = host.servicePid("blk");
        process.kill(lastPid, "SIGKILL");
        kills++;
      }
    })();

    for (let i = 0; kills < KILLS; i++) {
      const pattern = patternOf(i);
      await c.run(`mw.l ${LOAD_ADDR.toString(16)} ${pattern.toString(16)} ${(BLOCKS_PER_WRITE * 128).toString(16)}`, UBOOT_PROMPT);
      const block = (i * BLOCKS_PER_WRITE) % (16 * 2048 - BLOCKS_PER_WRITE);
      const out = await c.run(`virtio write ${LOAD_ADDR.toString(16)} ${block.toString(16)} ${BLOCKS_PER_WRITE.toString(16)}`, UBOOT_PROMPT, 60_000);
      expect(out).toContain(`${BLOCKS_PER_WRITE} blocks written: OK`);
      acknowledged.push(i);
    }
    stop = true;
    await killer;
    c.type("\x1d");
    await c.exitCode();

    // The last write to each block range is what the image holds.
    const disk = await readFile(image);
    const latest = new Map<number, number>();
    for (const i of acknowledged) latest.set((i * BLOCKS_PER_WRITE) % (16 * 2048 - BLOCKS_PER_WRITE), i);
    const expectedAt = new Map<number, number>();
    for (const i of acknowledged) {
      const block = (i * BLOCKS_PER_WRITE) % (16 * 2048 - BLOCKS_PER_WRITE);
      for (let b = 0; b < BLOCKS_PER_WRITE; b++) expectedAt.set(block + b, i);
    }
    let wrong = 0;
    for (const [block, i] of expectedAt) {
      const word = disk.readUInt32LE(block * 512);
      const last = disk.readUInt32LE(block * 512 + 508);
      if (word !== patternOf(i) || last !== patternOf(i)) wrong++;
    }
    expect(kills).toBe(KILLS);
    expect(acknowledged.length).toBeGreaterThan(KILLS);
    expect(wrong).toBe(0);
  });
});

// --append, --initrd and --smp reach the guest the way Linux expects them: in the device tree
// that the boot ROM hands over in a1 (/chosen/bootargs, /chosen/linux,initrd-*, /cpus).

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { GuestConsole } from "./support/guest-console.js";
import { OPENSBI_FW_JUMP, UBOOT_PROMPT, UBOOT_SMODE, reachUbootPrompt } from "./support/firmware.js";

let dir: string;
let guest: GuestConsole | undefined;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), "domus-boot-")); });
afterEach(() => guest?.kill());
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** A cell as U-Boot's `fdt print` shows it. */
const cell = (v: number): string => `0x${v.toString(16).padStart(8, "0")}`;

describe("boot parameters", () => {
  it("puts --append, the --initrd range and every hart in the device tree", async () => {
    const initrd = randomBytes(123_457);
    const initrdPath = join(dir, "initrd.img");
    await writeFile(initrdPath, initrd);
    guest = GuestConsole.domus([
      "-m", "256", "--smp", "2", "--bios", OPENSBI_FW_JUMP, "--kernel", UBOOT_SMODE,
      "--initrd", initrdPath, "--append", "console=ttyS0 root=/dev/vda1 domus.test=yes",
    ]);
    const banner = await reachUbootPrompt(guest);
    expect(banner).toContain("Platform HART Count       : 2");

    await guest.run("fdt addr ${fdtcontroladdr}", UBOOT_PROMPT);
    const chosen = await guest.run("fdt print /chosen", UBOOT_PROMPT);
    expect(chosen).toContain('bootargs = "console=ttyS0 root=/dev/vda1 domus.test=yes"');
    const start = /linux,initrd-start = <(0x[0-9a-f]+) (0x[0-9a-f]+)>/.exec(chosen);
    const end = /linux,initrd-end = <(0x[0-9a-f]+) (0x[0-9a-f]+)>/.exec(chosen);
    expect(start, chosen).not.toBeNull();
    expect(end, chosen).not.toBeNull();
    const startAddr = Number(BigInt(start![1]) << 32n | BigInt(start![2]));
    const endAddr = Number(BigInt(end![1]) << 32n | BigInt(end![2]));
    expect(endAddr - startAddr).toBe(initrd.length);

    // The ramdisk's bytes are in RAM where the tree says.
    const crc = await guest.run(`crc32 ${startAddr.toString(16)} ${initrd.length.toString(16)}`, UBOOT_PROMPT);
    expect(crc).toContain(`==> ${(crc32(initrd) >>> 0).toString(16).padStart(8, "0")}`);

    const cpus = await guest.run("fdt list /cpus", UBOOT_PROMPT);
    expect(cpus).toContain("cpu@0 {");
    expect(cpus).toContain("cpu@1 {");
    expect(cpus).toContain(`timebase-frequency = <${cell(10_000_000)}>`);

    guest.type("poweroff\r");
    expect(await guest.exitCode()).toBe(0);
  });
});

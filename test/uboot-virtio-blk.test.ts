// A raw disk image given with --drive is a virtio-blk device in the first virtio slot: U-Boot
// finds it, reads the FAT32 partition, and computes the same CRC32 as the host for a file.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { GuestConsole } from "./support/guest-console.js";
import { OPENSBI_FW_JUMP, UBOOT_MMODE, UBOOT_PROMPT, UBOOT_SMODE, reachUbootPrompt } from "./support/firmware.js";
import { makeFatDisk, type FatDisk } from "./fixtures/fat-disk.js";

const LOAD_ADDR = "0x84000000";
let dir: string;
let disk: FatDisk;
let payload: Uint8Array;
let guest: GuestConsole | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-blk-"));
  payload = randomBytes(300_000); // spans many clusters and several virtio requests
  disk = await makeFatDisk(dir, { "payload.bin": payload, "hello.txt": new TextEncoder().encode("hello from the host\n") });
});
afterEach(() => guest?.kill());
afterAll(async () => rm(dir, { recursive: true, force: true }));

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");

describe.each([
  ["M-mode U-Boot", ["--bios", UBOOT_MMODE]],
  ["OpenSBI + S-mode U-Boot", ["--bios", OPENSBI_FW_JUMP, "--kernel", UBOOT_SMODE]],
])("%s with --drive", (_name, firmware) => {
  it("lists, loads and checksums files on a FAT32 partition", async () => {
    guest = GuestConsole.domus(["-m", "256", ...firmware, "--drive", `file=${disk.path},format=raw`]);
    await reachUbootPrompt(guest);

    await guest.run("virtio scan", UBOOT_PROMPT);
    const info = await guest.run("virtio info", UBOOT_PROMPT);
    expect(info).toMatch(/Capacity: 64\.0 MB/);

    const ls = await guest.run("ls virtio 0:1 /", UBOOT_PROMPT);
    expect(ls).toMatch(/\s300000\s+payload\.bin/);
    expect(ls).toMatch(/\s20\s+hello\.txt/);
    expect(ls).toMatch(/2 file\(s\)/);

    const load = await guest.run(`fatload virtio 0:1 ${LOAD_ADDR} payload.bin`, UBOOT_PROMPT);
    expect(load).toContain("300000 bytes read");
    const crc = await guest.run(`crc32 ${LOAD_ADDR} \${filesize}`, UBOOT_PROMPT);
    expect(crc).toContain(`==> ${hex8(disk.crc32["payload.bin"])}`);

    await guest.run(`fatload virtio 0:1 ${LOAD_ADDR} hello.txt`, UBOOT_PROMPT);
    const hello = await guest.run(`crc32 ${LOAD_ADDR} \${filesize}`, UBOOT_PROMPT);
    expect(hello).toContain(`==> ${hex8(disk.crc32["hello.txt"])}`);

    guest.type("poweroff\r");
    expect(await guest.exitCode()).toBe(0);
  });
});

describe("--drive errors", () => {
  it("names the missing image and exits non-zero", async () => {
    guest = GuestConsole.domus(["--bios", UBOOT_MMODE, "--drive", `file=${join(dir, "nope.img")},format=raw`]);
    expect(await guest.exitCode()).toBe(1);
    expect(guest.text).toContain("nope.img");
  });
});

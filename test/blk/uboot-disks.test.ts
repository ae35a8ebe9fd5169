// Virtual disks served by the block service to HVM guests, driven as a user drives them: a host
// from `domus up`, a U-Boot domain from a config file with disk = [...], its console through
// `xm console`. U-Boot lists, loads and writes FAT files; the host then reads what it wrote.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { execFileSync, spawn } from "node:child_process";
import { createServer, connect } from "node:net";
import { crc32 } from "node:zlib";
import { GuestConsole } from "../support/guest-console.js";
import { reachUbootPrompt, UBOOT_MMODE, UBOOT_PROMPT } from "../support/firmware.js";
import { makeFatDisk, PARTITION_OFFSET_BYTES, type FatDisk } from "../fixtures/fat-disk.js";
import { TestHost, XM } from "../toolstack/host.js";

const LOAD_ADDR = "0x84000000";
const hex8 = (n: number): string => n.toString(16).padStart(8, "0");

let host: TestHost;
let dir: string;
let payload: Uint8Array;

function config(name: string, disk: string): string {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, `name = '${name}'\nbuilder = 'hvm'\nmemory = 128\nbios = '${UBOOT_MMODE}'\ndisk = [ '${disk}' ]\non_poweroff = 'destroy'\n`);
  return file;
}

function xmConsole(...args: string[]): GuestConsole {
  return GuestConsole.command(process.execPath, [XM, "--home", host.home, ...args]);
}

/** What mtools reads back from the image's FAT partition. */
function mtype(image: string, name: string): Buffer {
  return execFileSync("mtype", ["-i", `${image}@@${PARTITION_OFFSET_BYTES}`, `::/${name}`], { env: { ...process.env, MTOOLS_SKIP_CHECK: "1" } });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

beforeAll(async () => {
  host = new TestHost();
  dir = mkdtempSync(join(tmpdir(), "domus-blk-"));
  payload = randomBytes(300_000);
  await host.up();
});
afterAll(async () => {
  await host.down();
});

async function exercise(name: string, disk: FatDisk, uname: string): Promise<void> {
  const c = xmConsole("create", "-c", config(name, `${uname},xvda,w`));
  await c.waitFor(`Started domain ${name}`);
  await reachUbootPrompt(c);
  await c.run("virtio scan", UBOOT_PROMPT);
  expect(await c.run("virtio info", UBOOT_PROMPT)).toMatch(/Capacity: 64\.0 MB/);
  const ls = await c.run("ls virtio 0:1 /", UBOOT_PROMPT);
  expect(ls).toMatch(/\s300000\s+payload\.bin/);
  expect(await c.run(`fatload virtio 0:1 ${LOAD_ADDR} payload.bin`, UBOOT_PROMPT)).toContain("300000 bytes read");
  expect(await c.run(`crc32 ${LOAD_ADDR} \${filesize}`, UBOOT_PROMPT)).toContain(`==> ${hex8(disk.crc32["payload.bin"])}`);
  // Write it back under a new name: U-Boot's FAT driver reads and rewrites FAT and directory sectors.
  expect(await c.run(`fatwrite virtio 0:1 ${LOAD_ADDR} copy.bin \${filesize}`, UBOOT_PROMPT)).toContain("300000 bytes written");
  c.type("poweroff\r");
  await c.exitCode();
}

describe("disks of HVM domains through the block service", () => {
  it("file: raw image — U-Boot lists, loads, checksums and writes; the host reads the written file", async () => {
    const disk = await makeFatDisk(dir, { "payload.bin": payload });
    await exercise("raw1", disk, `file:${disk.path}`);
    const copy = mtype(disk.path, "copy.bin");
    expect(crc32(copy) >>> 0).toBe(disk.crc32["payload.bin"]);
    expect(Buffer.compare(copy, Buffer.from(payload))).toBe(0);
    expect((await readFile(disk.path)).length).toBe(64 * 1024 * 1024);
  });

  it("tap:qcow: qcow2 image made by qemu-img convert — the same, and qemu-img checks and converts what Domus wrote", async () => {
    const disk = await makeFatDisk(dir, { "payload.bin": payload });
    const qcow = join(dir, "disk.qcow2");
    execFileSync("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", disk.path, qcow]);
    await exercise("qcow1", disk, `tap:qcow:${qcow}`);
    execFileSync("qemu-img", ["check", qcow]); // exits non-zero on any error or leak
    const back = join(dir, "back.raw");
    execFileSync("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", qcow, back]);
    const copy = mtype(back, "copy.bin");
    expect(Buffer.compare(copy, Buffer.from(payload))).toBe(0);
  });

  it("nbd: a disk served by Debian's nbdkit, through the block service's NBD client", async () => {
    const disk = await makeFatDisk(dir, { "payload.bin": payload });
    const port = await freePort();
    const nbdkit = spawn("/usr/bin/nbdkit", ["-f", "--exit-with-parent", "-i", "127.0.0.1", "-p", String(port), "file", disk.path], { stdio: "ignore" });
    try {
      await waitForPort(port);
      await exercise("nbd1", disk, `nbd:127.0.0.1:${port}`);
    } finally {
      nbdkit.kill();
    }
    const copy = mtype(disk.path, "copy.bin");
    expect(Buffer.compare(copy, Buffer.from(payload))).toBe(0);
  });

  it("a damaged qcow2 image is refused at create with the file and the field at fault", async () => {
    const bad = join(dir, "bad.qcow2");
    execFileSync("qemu-img", ["create", "-f", "qcow2", bad, "16M"]);
    const bytes = await readFile(bad);
    bytes.writeUInt32BE(30, 20); // cluster_bits = 30
    writeFileSync(bad, bytes);
    const r = await host.xm("create", config("badq1", `tap:qcow:${bad},xvda,w`));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("bad.qcow2");
    expect(r.stderr).toMatch(/cluster_bits/);
    expect((await host.xm("list")).stdout).not.toContain("badq1");
  });

  it("xm block-attach plugs a disk into a live domain; block-list shows it; block-detach removes it", async () => {
    const first = await makeFatDisk(dir, { "payload.bin": payload });
    const second = await makeFatDisk(dir, { "second.txt": new TextEncoder().encode("the second disk\n") });
    // virtio-mmio has no hot-plug signal and U-Boot probes its devices once, at start: attach
    // while the domain is paused before its first instruction, as a toolstack does for HVM guests.
    expect((await host.xm("create", "-p", config("hot1", `file:${first.path},xvda,w`))).code).toBe(0);
    expect((await host.xm("block-attach", "hot1", `file:${second.path}`, "xvdb", "r")).code).toBe(0);
    const list = await host.xm("block-list", "hot1");
    expect(list.stdout).toMatch(/^Vdev +BE +handle +state +evt-ch +ring-ref +BE-path/);
    expect(list.stdout).toMatch(/^51712 +0 +51712 +4 +-1 +-1 +\/local\/domain\/0\/backend\/vbd\/\d+\/51712$/m);
    expect(list.stdout).toMatch(/^51728 +0 +51728 +4 /m);
    const json = JSON.parse((await host.xm("block-list", "hot1", "--json")).stdout) as { dev: string; format: string; mode: string; sectors: number }[];
    expect(json.map((v) => [v.dev, v.format, v.mode, v.sectors])).toEqual([["xvda", "raw", "w", 131072], ["xvdb", "raw", "r", 131072]]);
    const c = xmConsole("console", "hot1");
    expect((await host.xm("unpause", "hot1")).code).toBe(0);
    await reachUbootPrompt(c);
    await c.run("virtio scan", UBOOT_PROMPT);
    expect(await c.run("ls virtio 1:1 /", UBOOT_PROMPT)).toMatch(/\s16\s+second\.txt/);
    expect(await c.run(`fatwrite virtio 1:1 ${LOAD_ADDR} nope.bin 10`, UBOOT_PROMPT)).not.toContain("10 bytes written");
    expect((await host.xm("block-detach", "hot1", "xvdb")).code).toBe(0);
    expect((await host.xm("block-list", "hot1")).stdout).not.toContain("51728");
    const again = await host.xm("block-detach", "hot1", "51728");
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("has no disk with device number 51728");
    c.type("\x1d");
    await c.exitCode();
    expect((await host.xm("destroy", "hot1")).code).toBe(0);
  });

  it("a missing image is refused at create, naming the file; no domain is left behind", async () => {
    const r = await host.xm("create", config("missing1", `file:${join(dir, "nope.img")},xvda,w`));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("nope.img");
    expect((await host.xm("list")).stdout).not.toContain("missing1");
  });
});

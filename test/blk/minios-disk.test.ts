// A paravirtual disk end to end: minios's blkfront (mode=disk) connects to the block service
// through the store (Xen's xenbus handshake), writes generations of a checksummed data area on
// the blkif ring, flushes and verifies them, and finds them again after a reboot. The host then
// reads the image: the header minios wrote and, after a clean power-off, every data byte.

import { describe, expect, it } from "vitest";
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { GuestConsole } from "../support/guest-console.js";
import { hostForTests, XM, eventually } from "../toolstack/host.js";
import { MINIOS } from "../support/guest-images.js";

const SECTOR = 512;
const IMAGE_BYTES = 8 * 1024 * 1024;
/** min(2048, sectors - 1): the data area minios uses on an 8 MiB disk. */
const DATA_SECTORS = 2048;

const host = hostForTests();
const dir = host.dir;

/** A sparse raw image of `bytes` zeros. */
function sparseImage(name: string, bytes = IMAGE_BYTES): string {
  const path = join(dir, name);
  const fd = openSync(path, "w");
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return path;
}

function config(name: string, image: string, extra: string, more = ""): string {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, [
    `name = '${name}'`, "builder = 'linux'", `kernel = '${MINIOS}'`, "memory = 16",
    `extra = 'mode=disk name=${name} ${extra}'`, `disk = [ 'file:${image},xvda,w' ]`, more, "",
  ].join("\n"));
  return file;
}

function console(name: string): GuestConsole {
  return GuestConsole.command(process.execPath, [XM, "--home", host.home, "console", name]);
}

/** `xm create -c`: the console from the domain's first line (a short-lived domain may be gone
 * before a separate `xm console` could attach). Returns the console and the new domain's id. */
async function create(name: string, image: string, extra: string, more = ""): Promise<{ id: string; c: GuestConsole }> {
  const c = GuestConsole.command(process.execPath, [XM, "--home", host.home, "create", "-c", config(name, image, extra, more)]);
  const started = await c.waitFor(new RegExp(`Started domain ${name} \\(id=\\d+\\)`));
  return { id: /\(id=(\d+)\)/.exec(started)![1], c };
}

/** What generation g writes at byte i of data sector s (guests/minios/README.md, "The disk"). */
function pattern(g: number, s: number, i: number): number {
  let x = (Math.imul(g, 0x9e3779b1) ^ Math.imul(s, 0x85ebca6b) ^ Math.imul(i, 0xc2b2ae35)) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x2c1b3c6d) >>> 0;
  x = (x ^ (x >>> 12)) >>> 0;
  return (x ^ (x >>> 8)) & 0xff;
}

interface Header {
  readonly magic: string;
  readonly generation: number;
  readonly nsectors: number;
  readonly dataCrc: number;
  readonly headerCrcOk: boolean;
}

function header(image: Buffer): Header {
  return {
    magic: image.subarray(0, 8).toString("latin1"),
    generation: image.readUInt32LE(8),
    nsectors: image.readUInt32LE(12),
    dataCrc: image.readUInt32LE(16),
    headerCrcOk: (crc32(image.subarray(0, 20)) >>> 0) === image.readUInt32LE(20),
  };
}

describe("minios's blkfront on a disk served by the block service", () => {
  it("a fresh disk: written, flushed and verified in rounds; after a reboot the last generation is verified", async () => {
    const image = sparseImage("reboot.raw");
    const { id, c } = await create("pvdisk", image, "then=reboot rounds=2", "on_reboot = 'restart'\non_crash = 'destroy'");
    try {
      await c.waitFor("minios: ready");
      await c.waitFor(/minios: disk connected \(device 51712, 16384 sectors[^)]*\)/);
      await c.waitFor("minios: disk empty");
      await c.waitFor("minios: disk round 1 ok (generation 1)");
      await c.waitFor("minios: disk round 2 ok (generation 2)");
      await c.waitFor("minios: disk done");
      expect(await c.exitCode()).toBe(0); // the console ends with the domain
      expect(c.text).not.toContain("FAILED");
    } finally {
      c.kill();
    }
    // on_reboot = 'restart': the same config again, under a new id.
    await eventually("pvdisk back under a new id", () => host.row("pvdisk"), (r) => r !== undefined && r[1] !== id);
    // It goes on rebooting (then=reboot): the console may meet a later boot than the second,
    // which has verified a later generation; each boot verifies the one before it wrote.
    const c2 = console("pvdisk");
    try {
      const seen = await c2.waitFor(new RegExp(`minios: disk generation (\\d+) verified \\(${DATA_SECTORS} sectors\\)`));
      const generation = Number(/generation (\d+) verified/.exec(seen)![1]);
      expect(generation).toBeGreaterThanOrEqual(2);
      await c2.waitFor(`minios: disk round 1 ok (generation ${generation + 1})`);
      expect(c2.text).not.toContain("FAILED");
    } finally {
      c2.kill();
    }
    expect((await host.xm("destroy", "pvdisk")).code).toBe(0);
    await eventually("pvdisk gone", () => host.row("pvdisk"), (r) => r === undefined);

    // Destroyed at any point of a round, the header is a whole one of generation 2 or later.
    const h = header(readFileSync(image));
    expect(h.magic).toBe("DOMUSDSK");
    expect(h.generation).toBeGreaterThanOrEqual(2);
    expect(h.nsectors).toBe(DATA_SECTORS);
    expect(h.headerCrcOk).toBe(true);
  }, 180_000);

  it("after a clean power-off the host finds every data byte and both checksums as minios wrote them; a changed byte fails the next boot", async () => {
    const image = sparseImage("poweroff.raw");
    const { c } = await create("pvdisk1", image, "then=poweroff rounds=1", "on_crash = 'destroy'");
    try {
      await c.waitFor("minios: disk empty");
      await c.waitFor("minios: disk round 1 ok (generation 1)");
      await c.waitFor("minios: disk done");
      expect(await c.exitCode()).toBe(0);
    } finally {
      c.kill();
    }
    await eventually("pvdisk1 gone", () => host.row("pvdisk1"), (r) => r === undefined);

    const bytes = readFileSync(image);
    expect(bytes.length).toBe(IMAGE_BYTES);
    const h = header(bytes);
    expect(h).toEqual({ magic: "DOMUSDSK", generation: 1, nsectors: DATA_SECTORS, dataCrc: h.dataCrc, headerCrcOk: true });
    const area = bytes.subarray(SECTOR, SECTOR * (1 + DATA_SECTORS));
    expect(crc32(area) >>> 0).toBe(h.dataCrc);
    const want = Buffer.alloc(area.length);
    for (let s = 1; s <= DATA_SECTORS; s++) for (let i = 0; i < SECTOR; i++) want[(s - 1) * SECTOR + i] = pattern(1, s, i);
    expect(Buffer.compare(area, want)).toBe(0);
    expect(bytes.subarray(SECTOR * (1 + DATA_SECTORS)).every((b) => b === 0)).toBe(true); // nothing written beyond

    // One byte changed behind minios's back: the next boot names it and crashes (rounds=0: it
    // would only have verified).
    const at = 100 * SECTOR + 7;
    const fd = openSync(image, "r+");
    writeSync(fd, Buffer.from([bytes[at] ^ 0xff]), 0, 1, at);
    closeSync(fd);
    const { id, c: c2 } = await create("pvdisk2", image, "rounds=0", "on_crash = 'destroy'");
    const hex = (b: number): string => b.toString(16).padStart(2, "0");
    try {
      await c2.waitFor(`minios: disk FAILED: sector 100 byte 7 is ${hex(bytes[at] ^ 0xff)}; generation 1 wrote ${hex(bytes[at])}`);
      expect(await c2.exitCode()).toBe(0);
    } finally {
      c2.kill();
    }
    await eventually("pvdisk2 gone", () => host.row("pvdisk2"), (r) => r === undefined);
    expect(readFileSync(join(host.home, "log/xend.log"), "utf8")).toContain(`domain ${id} (pvdisk2) stopped: crash; action destroy`);
  }, 120_000);

  it("xm shutdown while it writes: the generation in progress is finished first, so the disk stays whole", async () => {
    const image = sparseImage("shutdown.raw");
    const { c } = await create("pvdisk3", image, "rounds=1000000", "on_crash = 'destroy'");
    try {
      await c.waitFor("minios: disk round 3 ok (generation 3)");
      const r = await host.xm("shutdown", "-w", "pvdisk3");
      expect(r.code, r.stderr).toBe(0);
      await c.waitFor("minios: shutdown requested (poweroff)");
      expect(await c.exitCode()).toBe(0);
    } finally {
      c.kill();
    }
    expect(c.text).not.toContain("FAILED");
    await eventually("pvdisk3 gone", () => host.row("pvdisk3"), (r) => r === undefined);
    // Taken between two writes or held until the header was written: either way the header and
    // the data area agree.
    const bytes = readFileSync(image);
    const h = header(bytes);
    expect(h.magic).toBe("DOMUSDSK");
    expect(h.headerCrcOk).toBe(true);
    expect(h.generation).toBeGreaterThanOrEqual(3);
    const held = /minios: disk generation (\d+) written; shutting down as requested/.exec(c.text);
    if (held !== null) expect(h.generation).toBe(Number(held[1]));
    expect(crc32(bytes.subarray(SECTOR, SECTOR * (1 + DATA_SECTORS))) >>> 0).toBe(h.dataCrc);
  }, 120_000);
});

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ImageError, type BlockImage } from "../image.js";
import { createVmdkImage, openVmdkImage } from "./vmdk.js";
import { parseVmdkDescriptor } from "./vmdk-descriptor.js";

const scratch = mkdtempSync(join(tmpdir(), "domus-vmdk-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let dirs = 0;
/** A fresh folder per test, so descriptors and their extents sit together. */
function folder(): string {
  const dir = join(scratch, `t${dirs++}`);
  mkdirSync(dir);
  return dir;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function run(tool: string, ...args: string[]): string {
  const r = spawnSync(tool, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const qemuImg = (...args: string[]) => run("qemu-img", ...args);

/** The disk as qemu-img reads it. */
function qemuRaw(path: string): Uint8Array {
  const out = `${path}.out.raw`;
  qemuImg("convert", "-f", "vmdk", "-O", "raw", path, out);
  const bytes = new Uint8Array(readFileSync(out));
  rmSync(out);
  return bytes;
}

/** Byte-for-byte equality that names the first difference (toEqual is slow on megabytes). */
function expectSame(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  if (Buffer.compare(actual, expected) === 0) return;
  const at = actual.findIndex((b, i) => b !== expected[i]);
  expect(Array.from(actual.subarray(at, at + 16)), `first difference at byte ${at}`).toEqual(Array.from(expected.subarray(at, at + 16)));
}

/** xorshift32: reproducible test data and request patterns. */
function prng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function noise(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  return Uint8Array.from({ length }, () => next() & 0xff);
}

async function readAll(img: BlockImage): Promise<Uint8Array> {
  const buf = new Uint8Array(img.sizeBytes);
  await img.read(buf, 0);
  return buf;
}

/** Writes random data at random places, a few requests at a time (never overlapping within a
 * batch, as their order would then be undefined), mirroring each into `model`. */
async function randomWrites(img: BlockImage, model: Uint8Array, seed: number, batches: number): Promise<void> {
  const next = prng(seed);
  for (let b = 0; b < batches; b++) {
    const batch: { offset: number; data: Uint8Array }[] = [];
    for (let i = 0; i < 1 + (next() % 6); i++) {
      const aligned = next() % 2 === 0;
      const length = aligned ? 512 * (1 + (next() % 300)) : 1 + (next() % 5000);
      const offset = aligned ? 512 * (next() % ((img.sizeBytes - length) / 512)) : next() % (img.sizeBytes - length);
      if (batch.some((w) => offset < w.offset + w.data.length && w.offset < offset + length)) continue;
      batch.push({ offset, data: noise(length, next()) });
    }
    await Promise.all(batch.map((w) => img.write(w.data, w.offset)));
    for (const w of batch) model.set(w.data, w.offset);
  }
}

async function expectImageError(promise: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<ImageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageError);
  for (const part of parts) expect((error as Error).message).toMatch(part);
  return error as ImageError;
}

// ---- the sparse extent's on-disk structures, read independently of the code under test ----

interface Layout {
  gtEntries: number;
  gd: number[];
  rgd: number[];
}

function layout(file: Uint8Array): Layout {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const capacity = Number(dv.getBigUint64(12, true));
  const grainSectors = Number(dv.getBigUint64(20, true));
  const gtEntries = dv.getUint32(44, true);
  const entries = Math.ceil(capacity / grainSectors / gtEntries);
  const dir = (sector: number) => Array.from({ length: entries }, (_, i) => dv.getUint32(sector * 512 + 4 * i, true));
  return { gtEntries, gd: dir(Number(dv.getBigUint64(56, true))), rgd: dir(Number(dv.getBigUint64(48, true))) };
}

/** Byte position of grain `grain`'s table entry in the file. */
function gtePos(file: Uint8Array, grain: number): number {
  const { gd, gtEntries } = layout(file);
  return gd[Math.floor(grain / gtEntries)] * 512 + 4 * (grain % gtEntries);
}

function patch(path: string, at: number, bytes: ArrayLike<number>): void {
  const file = readFileSync(path);
  file.set(bytes, at);
  writeFileSync(path, file);
}

const le32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const le64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);

// ---- reading what qemu-img wrote ----

describe("reading images qemu-img made", () => {
  it("reads an empty monolithicSparse image as zeros", async () => {
    const path = join(folder(), "empty.vmdk");
    qemuImg("create", "-q", "-f", "vmdk", path, "8M");
    const img = await openVmdkImage(path, true);
    expect(img.format).toBe("vmdk");
    expect(img.sizeBytes).toBe(8 * MiB);
    expect(img.readOnly).toBe(true);
    expect((await readAll(img)).every((b) => b === 0)).toBe(true);
    await img.close();
  });

  for (const subformat of ["monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat"]) {
    it(`reads back what qemu-img convert -O vmdk -o subformat=${subformat} stored`, async () => {
      const dir = folder();
      const size = 5 * MiB + 3 * 512; // a part grain at the end
      const raw = noise(size, 7);
      raw.fill(0, MiB, 2 * MiB + 100); // some grains stay unallocated
      writeFileSync(join(dir, "in.raw"), raw);
      const path = join(dir, "disk.vmdk");
      qemuImg("convert", "-f", "raw", "-O", "vmdk", "-o", `subformat=${subformat}`, join(dir, "in.raw"), path);

      const img = await openVmdkImage(path, true);
      expect(img.sizeBytes).toBe(size);
      expectSame(await readAll(img), raw);
      const next = prng(3);
      for (let i = 0; i < 50; i++) {
        const length = 1 + (next() % (200 * KiB));
        const offset = next() % (size - length);
        const buf = new Uint8Array(length);
        await img.read(buf, offset);
        expectSame(buf, raw.subarray(offset, offset + length));
      }
      await img.close();
    });
  }

  it("reads zeroed grains (version 2, zeroed_grain=on) as zeros and writes over them", async () => {
    const path = join(folder(), "zg.vmdk");
    qemuImg("create", "-q", "-f", "vmdk", "-o", "zeroed_grain=on", path, "1M");
    run("qemu-io", "-f", "vmdk", "-c", "write -P 0xaa 0 192k", "-c", "write -z 64k 64k", path);
    expect(readFileSync(path).readUInt32LE(gtePos(readFileSync(path), 1))).toBe(1);

    const img = await openVmdkImage(path, false);
    const model = new Uint8Array(MiB);
    model.fill(0xaa, 0, 192 * KiB).fill(0, 64 * KiB, 128 * KiB);
    expectSame(await readAll(img), model);
    const data = noise(700, 1);
    await img.write(data, 64 * KiB + 100);
    model.set(data, 64 * KiB + 100);
    expectSame(await readAll(img), model);
    await img.close();
    qemuImg("check", "-q", path);
    expectSame(qemuRaw(path), model);
  });
});

// ---- writing, checked by qemu-img ----

describe("writing", () => {
  const sparseMakers: [string, (path: string, size: number) => Promise<void>][] = [
    ["qemu-img create", async (path, size) => void qemuImg("create", "-q", "-f", "vmdk", path, String(size))],
    ["createVmdkImage", createVmdkImage],
  ];
  for (const [maker, make] of sparseMakers) {
    it(`random writes to a monolithicSparse image (${maker}) give qemu-img the same bytes`, async () => {
      const path = join(folder(), "disk.vmdk");
      const size = 12 * MiB + 512;
      await make(path, size);
      const model = new Uint8Array(size);
      let img = await openVmdkImage(path, false);
      await randomWrites(img, model, 11, 60);
      expectSame(await readAll(img), model);
      await img.close();

      qemuImg("check", "-q", path);
      expectSame(qemuRaw(path), model);
      img = await openVmdkImage(path, true);
      expectSame(await readAll(img), model);
      await img.close();
    });
  }

  for (const subformat of ["monolithicFlat", "twoGbMaxExtentFlat"]) {
    it(`random writes to a ${subformat} image give qemu-img the same bytes`, async () => {
      const path = join(folder(), "disk.vmdk");
      qemuImg("create", "-q", "-f", "vmdk", "-o", `subformat=${subformat}`, path, "6M");
      const model = new Uint8Array(6 * MiB);
      const img = await openVmdkImage(path, false);
      await randomWrites(img, model, 5, 40);
      await img.close();
      qemuImg("check", "-q", path);
      expectSame(qemuRaw(path), model);
    });
  }

  it("keeps the redundant grain tables equal to the primary ones", async () => {
    const path = join(folder(), "disk.vmdk");
    qemuImg("create", "-q", "-f", "vmdk", path, "80M"); // three grain tables
    const img = await openVmdkImage(path, false);
    await randomWrites(img, new Uint8Array(img.sizeBytes), 21, 30);
    await img.close();
    const file = readFileSync(path);
    const { gd, rgd, gtEntries } = layout(file);
    expect(gd).toHaveLength(3);
    for (let i = 0; i < gd.length; i++) {
      const table = file.subarray(gd[i] * 512, gd[i] * 512 + 4 * gtEntries);
      expect(table.some((b) => b !== 0)).toBe(true);
      expectSame(file.subarray(rgd[i] * 512, rgd[i] * 512 + 4 * gtEntries), table);
    }
  });

  it("allocates a grain once when concurrent writes land in it", async () => {
    const path = join(folder(), "disk.vmdk");
    await createVmdkImage(path, 4 * MiB);
    const before = statSync(path).size;
    const img = await openVmdkImage(path, false);
    const model = new Uint8Array(img.sizeBytes);
    const writes = Array.from({ length: 32 }, (_, i) => ({ offset: (i % 2 ? 5 * 64 * KiB : 0) + (i >> 1) * 4 * KiB, data: noise(4 * KiB, i + 1) }));
    await Promise.all(writes.map((w) => img.write(w.data, w.offset)));
    for (const w of writes) model.set(w.data, w.offset);
    await img.close();
    expect(statSync(path).size).toBe(before + 2 * 64 * KiB);
    qemuImg("check", "-q", path);
    expectSame(qemuRaw(path), model);
  });

  it("writes a new grain's table entry only at flush, after the grain", async () => {
    const path = join(folder(), "disk.vmdk");
    await createVmdkImage(path, 2 * MiB);
    const entryAt = gtePos(readFileSync(path), 2);
    const img = await openVmdkImage(path, false);
    const data = noise(64 * KiB, 3);
    await img.write(data, 2 * 64 * KiB);
    let file = readFileSync(path);
    expect(file.readUInt32LE(entryAt)).toBe(0);
    expectSame(file.subarray(file.length - data.length), data);
    await img.flush();
    file = readFileSync(path);
    expect(file.readUInt32LE(entryAt)).toBe(file.length / 512 - 128);
    await img.close();
  });

  it("makes writes durable at flush, before close", async () => {
    const path = join(folder(), "disk.vmdk");
    await createVmdkImage(path, 2 * MiB);
    const img = await openVmdkImage(path, false);
    const model = new Uint8Array(img.sizeBytes);
    await randomWrites(img, model, 8, 10);
    await img.flush();
    qemuImg("check", "-q", path);
    expectSame(qemuRaw(path), model);
    await img.close();
  });

  it("makes a grain table at the end of the file where the directory has none", async () => {
    const path = join(folder(), "disk.vmdk");
    qemuImg("create", "-q", "-f", "vmdk", path, "64M"); // two grain tables
    const { gd } = layout(readFileSync(path));
    const header = readFileSync(path);
    patch(path, Number(header.readBigUInt64LE(56)) * 512 + 4, le32(0)); // forget the second table, in both directories
    patch(path, Number(header.readBigUInt64LE(48)) * 512 + 4, le32(0));
    const before = statSync(path).size;

    const img = await openVmdkImage(path, false);
    const model = new Uint8Array(img.sizeBytes);
    const data = noise(3000, 4);
    await img.write(data, 40 * MiB + 1000);
    model.set(data, 40 * MiB + 1000);
    await img.close();

    const after = layout(readFileSync(path));
    expect(after.gd[0]).toBe(gd[0]);
    expect(after.gd[1]).toBeGreaterThanOrEqual(before / 512);
    expect(after.rgd[1]).toBeGreaterThanOrEqual(before / 512);
    qemuImg("check", "-q", path);
    expectSame(qemuRaw(path), model);
  });

  it("writes back grain tables when more are dirty than the cache holds", async () => {
    const dir = folder();
    const path = join(dir, "big.vmdk");
    const size = 17 * GiB; // 544 grain tables of 32 MiB each
    qemuImg("create", "-q", "-f", "vmdk", path, String(size));
    const model = join(dir, "model.raw");
    const raw = await open(model, "w+");
    await raw.truncate(size);
    const img = await openVmdkImage(path, false);
    for (let t = 0; t < 544; t++) {
      const data = noise(512, t + 1);
      const offset = t * 32 * MiB + (t % 7) * 64 * KiB + 512;
      await img.write(data, offset);
      await raw.write(data, 0, data.length, offset);
    }
    await img.close();
    await raw.close();
    qemuImg("check", "-q", path);
    qemuImg("compare", "-q", "-f", "vmdk", "-F", "raw", path, model);
  });

  it("writes across the extents of a twoGbMaxExtentSparse disk", async () => {
    const dir = folder();
    const path = join(dir, "split.vmdk");
    const size = 5 * GiB;
    qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", path, String(size));
    const model = await open(join(dir, "model.raw"), "w+");
    await model.truncate(size);
    const img = await openVmdkImage(path, false);
    expect(img.sizeBytes).toBe(size);
    for (const [i, offset] of [2 * GiB - 3000, 4 * GiB - 512, 100, size - 5000].entries()) {
      const data = noise(i === 1 ? 200 * KiB : 5000, i + 1);
      await img.write(data, offset);
      await model.write(data, 0, data.length, offset);
      const back = new Uint8Array(data.length);
      await img.read(back, offset);
      expectSame(back, data);
    }
    await img.close();
    await model.close();
    qemuImg("check", "-q", path);
    qemuImg("compare", "-q", "-f", "vmdk", "-F", "raw", path, join(dir, "model.raw"));
  });

  it("reads and writes FLAT extents at their offsets, in several files", async () => {
    const dir = folder();
    const a = noise(1 * MiB, 1);
    const b = noise(20 * 512 + 512 * KiB, 2); // the extent starts 20 sectors in
    const c = noise(256 * KiB, 3);
    writeFileSync(join(dir, "a.bin"), a);
    writeFileSync(join(dir, "b.bin"), b);
    writeFileSync(join(dir, "c.bin"), c);
    const path = join(dir, "disk.vmdk");
    writeFileSync(
      path,
      [
        "# Disk DescriptorFile",
        "version=1",
        "CID=12345678",
        "parentCID=ffffffff",
        'createType="twoGbMaxExtentFlat"',
        "# Extent description", // not a blank line: QEMU would read the next line twice
        'RW 2048 FLAT "a.bin" 0',
        'RW 1024 FLAT "b.bin" 20',
        'RW 512 FLAT "c.bin" 0',
        'RW 512 FLAT "a.bin" 0', // a's first 256 KiB again (the write below stays clear of them)
        "",
        'ddb.adapterType = "ide"',
      ].join("\r\n"),
    );
    const model = new Uint8Array([...a, ...b.subarray(20 * 512), ...c, ...a.subarray(0, 256 * KiB)]);
    const img = await openVmdkImage(path, false);
    expect(img.sizeBytes).toBe(model.length);
    expectSame(await readAll(img), model);

    const data = noise(300 * KiB, 9);
    await img.write(data, MiB - 1000); // across a, b and into c
    model.set(data, MiB - 1000);
    await img.close();
    expectSame(qemuRaw(path), model);
    expectSame(readFileSync(join(dir, "b.bin")).subarray(0, 20 * 512), b.subarray(0, 20 * 512));
  });

  it("serves a vmfs descriptor (VMFS extent) like a flat one", async () => {
    const dir = folder();
    const data = noise(MiB, 5);
    writeFileSync(join(dir, "disk-flat.vmdk"), data);
    writeFileSync(join(dir, "disk.vmdk"), 'version=1\ncreateType="vmfs"\nRW 2048 VMFS "disk-flat.vmdk"\n');
    const img = await openVmdkImage(join(dir, "disk.vmdk"), true);
    expectSame(await readAll(img), data);
    await img.close();
  });

  it("creates images qemu-img accepts, and refuses to overwrite or odd sizes", async () => {
    const path = join(folder(), "new.vmdk");
    await createVmdkImage(path, 3 * GiB);
    qemuImg("check", "-q", path);
    const info = JSON.parse(qemuImg("info", "--output=json", path));
    expect(info["virtual-size"]).toBe(3 * GiB);
    expect(info["format-specific"].data["create-type"]).toBe("monolithicSparse");
    await expectImageError(createVmdkImage(path, MiB), path);
    await expectImageError(createVmdkImage(join(folder(), "odd.vmdk"), MiB + 1), "multiple of 512");
  });

  it("refuses writes to a read-only image and requests beyond the disk", async () => {
    const path = join(folder(), "disk.vmdk");
    await createVmdkImage(path, MiB);
    const ro = await openVmdkImage(path, true);
    await expectImageError(ro.write(new Uint8Array(512), 0), "read-only");
    await expectImageError(ro.read(new Uint8Array(1024), MiB - 512), "outside");
    await ro.close();
  });
});

// ---- refusals ----

describe("refusing what it cannot serve", () => {
  for (const how of ["create", "convert"]) {
    it(`refuses streamOptimized images (qemu-img ${how}) and says how to convert them`, async () => {
      const dir = folder();
      const path = join(dir, "stream.vmdk");
      if (how === "create") {
        qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized", path, "4M");
      } else {
        writeFileSync(join(dir, "in.raw"), noise(MiB, 1));
        qemuImg("convert", "-O", "vmdk", "-o", "subformat=streamOptimized", join(dir, "in.raw"), path);
      }
      for (const readOnly of [true, false]) {
        await expectImageError(openVmdkImage(path, readOnly), path, "streamOptimized", "not supported", "qemu-img convert -O vmdk");
      }
    });
  }

  it("refuses a disk with a parent", async () => {
    const dir = folder();
    qemuImg("create", "-q", "-f", "vmdk", join(dir, "base.vmdk"), "4M");
    qemuImg("create", "-q", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", join(dir, "child.vmdk"));
    await expectImageError(openVmdkImage(join(dir, "child.vmdk"), true), "child.vmdk", "parent", "base.vmdk", "parentCID=");
  });

  it("refuses the extent file of a split disk opened on its own", async () => {
    const dir = folder();
    qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", join(dir, "split.vmdk"), "1G");
    await expectImageError(openVmdkImage(join(dir, "split-s001.vmdk"), true), "split-s001.vmdk", "no embedded descriptor", "descriptor .vmdk");
  });

  describe("descriptor files", () => {
    const cases: [string, string, (string | RegExp)[], boolean?][] = [
      ["an unknown createType", 'createType="custom"\nRW 8 FLAT "f.bin" 0', ['createType "custom" is not supported']],
      ["no createType", 'version=1\nRW 8 FLAT "f.bin" 0', ["no createType"]],
      ["no extents", 'version=1\ncreateType="monolithicFlat"', ["lists no extents"]],
      ["a missing extent file", 'version=1\ncreateType="monolithicFlat"\nRW 8 FLAT "gone.bin" 0', ["line 3", "gone.bin", "cannot be found"]],
      ["an extent beside the folder", 'version=1\ncreateType="monolithicFlat"\nRW 8 FLAT "../outside.bin" 0', ["line 3", "outside the descriptor's folder"]],
      ["an extent given by absolute path", 'version=1\ncreateType="monolithicFlat"\nRW 8 FLAT "/etc/hostname" 0', ["outside the descriptor's folder"]],
      ["an extent reached through a symlink", 'version=1\ncreateType="monolithicFlat"\nRW 8 FLAT "link.bin" 0', ["link.bin", "outside the descriptor's folder"]],
      ["a ZERO extent", 'version=1\ncreateType="monolithicFlat"\nRW 8 ZERO', ["line 3", "ZERO extents are not supported"]],
      ["a NOACCESS extent", 'version=1\ncreateType="monolithicFlat"\nNOACCESS 8 FLAT "f.bin" 0', ["NOACCESS"]],
      ["a RDONLY extent opened for writing", 'version=1\ncreateType="monolithicFlat"\nRDONLY 8 FLAT "f.bin" 0', ["RDONLY", "read-only"]],
      ["a malformed line", 'version=1\ncreateType="monolithicFlat"\nRW 8 FLAT f.bin 0', ["line 3", "RW 8 FLAT f.bin 0"]],
      ["a parent", 'version=1\nparentCID=1234abcd\nparentFileNameHint="base.vmdk"\ncreateType="monolithicFlat"\nRW 8 FLAT "f.bin" 0', ["parentCID=1234abcd", "base.vmdk"]],
      ["a sparse extent of the wrong size", 'version=1\ncreateType="twoGbMaxExtentSparse"\nRW 4096 SPARSE "s.vmdk"', ["line 3", "4096 sectors", "capacity 2048"]],
      ["a FLAT extent longer than its file", 'version=1\ncreateType="monolithicFlat"\nRW 8 FLAT "f.bin" 1', ["line 3", "ends at sector 9", "only 8 sectors"]],
      ["a sparse file named twice", 'version=1\ncreateType="twoGbMaxExtentSparse"\nRW 2048 SPARSE "s.vmdk"\nRW 2048 SPARSE "./s.vmdk"', ["s.vmdk is named by more than one extent"]],
      ["an extent that is the folder itself", 'version=1\ncreateType="monolithicFlat"\nRW 8 FLAT "." 0', ["outside the descriptor's folder"]],
      ["an ordinary file", "hello, world\n", ["not a VMDK image"]],
    ];
    for (const [what, text, parts] of cases) {
      it(`refuses ${what}`, async () => {
        const dir = folder();
        writeFileSync(join(dir, "f.bin"), new Uint8Array(4096));
        writeFileSync(join(scratch, "outside.bin"), new Uint8Array(4096));
        symlinkSync(join(scratch, "outside.bin"), join(dir, "link.bin"));
        await createVmdkImage(join(dir, "s.vmdk"), MiB);
        writeFileSync(join(dir, "disk.vmdk"), text);
        await expectImageError(openVmdkImage(join(dir, "disk.vmdk"), false), join(dir, "disk.vmdk"), ...parts);
      });
    }

    it("opens a RDONLY extent read-only", async () => {
      const dir = folder();
      writeFileSync(join(dir, "f.bin"), noise(4096, 1));
      writeFileSync(join(dir, "disk.vmdk"), 'version=1\ncreateType="monolithicFlat"\nRDONLY 8 FLAT "f.bin" 0\n');
      const img = await openVmdkImage(join(dir, "disk.vmdk"), true);
      expectSame(await readAll(img), noise(4096, 1));
      await img.close();
    });
  });

  describe("damaged sparse headers", () => {
    // At offsets in the SparseExtentHeader, and in the embedded descriptor after its first line.
    const cases: [string, number, Uint8Array, (string | RegExp)[]][] = [
      ["a bad magic", 0, new TextEncoder().encode("XDMV"), ["not a VMDK image"]],
      ["an ESX 2 (COWD) magic", 0, new TextEncoder().encode("COWD"), ["COWD", "not supported"]],
      ["version 7", 4, le32(7), ["version = 7", "not supported"]],
      ["version 3 opened for writing", 4, le32(3), ["version = 3", "read-only"]],
      ["compressed grains", 8, le32(0x30003), ["streamOptimized"]],
      ["a grain directory at the end (stream footer)", 56, le64(0xffffffffffffffffn), ["streamOptimized"]],
      ["a grain size that is not a power of two", 20, le64(100n), ["grainSize = 100", "power of two"]],
      ["an absurd grain size", 20, le64(1n << 40n), ["grainSize = 1099511627776"]],
      ["no grain table entries", 44, le32(0), ["numGTEsPerGT = 0"]],
      ["too many grain table entries", 44, le32(4096), ["numGTEsPerGT = 4096"]],
      ["capacity 0", 12, le64(0n), ["capacity = 0"]],
      ["a grain directory beyond the file", 56, le64(1000000n), ["gdOffset = 1000000", "beyond the end of the file"]],
      ["a grain directory on the header", 56, le64(0n), ["gdOffset = 0"]],
      ["a redundant grain directory beyond the file", 48, le64(1n << 40n), ["rgdOffset"]],
      ["an overHead beyond the file", 64, le64(1000000n), ["overHead = 1000000", "truncated"]],
      ["a huge descriptor", 36, le64(1n << 30n), ["descriptorSize"]],
      ["no descriptor (whatever its size says)", 28, new Uint8Array([...le64(0n), ...le64(1n << 40n)]), ["no embedded descriptor"]],
      ["text-mode newlines", 73, new Uint8Array([0x0a, 0x20, 0x0a, 0x0a]), ["newline check bytes"]],
      ["a malformed embedded descriptor line", 512 + 22, new TextEncoder().encode("this is not a setting\n"), ["embedded descriptor", "line 2", "this is not a setting"]],
    ];
    for (const [what, at, bytes, parts] of cases) {
      it(`refuses ${what}`, async () => {
        const path = join(folder(), "disk.vmdk");
        await createVmdkImage(path, 4 * MiB);
        patch(path, at, bytes);
        await expectImageError(openVmdkImage(path, false), path, ...parts);
      });
    }

    it("refuses a truncated file", async () => {
      const path = join(folder(), "disk.vmdk");
      await createVmdkImage(path, 4 * MiB);
      truncateSync(path, 300);
      await expectImageError(openVmdkImage(path, true), path, "too short");
    });

    it("opens version 3 read-only", async () => {
      const path = join(folder(), "disk.vmdk");
      await createVmdkImage(path, 4 * MiB);
      patch(path, 4, le32(3));
      await (await openVmdkImage(path, true)).close();
    });
  });

  it("fails only the requests that meet a damaged grain table entry", async () => {
    const dir = folder();
    const raw = noise(MiB, 1);
    writeFileSync(join(dir, "in.raw"), raw);
    const path = join(dir, "disk.vmdk");
    qemuImg("convert", "-O", "vmdk", join(dir, "in.raw"), path);
    patch(path, gtePos(readFileSync(path), 3), le32(0x7fffffff));

    const img = await openVmdkImage(path, false);
    const grain = new Uint8Array(64 * KiB);
    await img.read(grain, 2 * 64 * KiB);
    expectSame(grain, raw.subarray(2 * 64 * KiB, 3 * 64 * KiB));
    await expectImageError(img.read(grain, 3 * 64 * KiB), path, "sector 384", "points to sector 2147483647", "damaged");
    await expectImageError(img.write(grain, 3 * 64 * KiB + 512), path, "damaged");
    await expectImageError(img.read(new Uint8Array(MiB), 0), "damaged");
    await img.write(grain, 4 * 64 * KiB);
    await img.close();
  });

  it("fails only the requests that meet a damaged grain directory entry", async () => {
    const path = join(folder(), "disk.vmdk");
    qemuImg("create", "-q", "-f", "vmdk", path, "64M");
    const gdAt = Number(readFileSync(path).readBigUInt64LE(56)) * 512;
    patch(path, gdAt + 4, le32(0x7ffffff0));
    const img = await openVmdkImage(path, true);
    await img.read(new Uint8Array(512), 0);
    await expectImageError(img.read(new Uint8Array(512), 40 * MiB), path, "grain directory entry 1", "damaged");
    await img.close();
  });
});

// ---- property tests: whatever the bytes, open either works or says what is wrong ----

/** Rejects if `promise` takes longer than `ms`: a hang is a failure, not a slow pass. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Opens, reads a little and writes a sector; only ImageError may come out. */
async function exercise(path: string, readOnly: boolean): Promise<void> {
  let img: BlockImage;
  try {
    img = await openVmdkImage(path, readOnly);
  } catch (e) {
    if (e instanceof ImageError) return;
    throw e;
  }
  const tryIt = async (p: Promise<unknown>) =>
    p.catch((e: unknown) => {
      if (!(e instanceof ImageError)) throw e;
    });
  const buf = new Uint8Array(64 * KiB);
  const length = Math.min(buf.length, img.sizeBytes);
  await tryIt(img.read(buf.subarray(0, length), 0));
  await tryIt(img.read(buf.subarray(0, length), img.sizeBytes - length));
  if (!readOnly) await tryIt(img.write(buf.subarray(0, Math.min(512, length)), 0));
  await tryIt(img.close());
}

describe("property: the descriptor parser", () => {
  const check = (text: string) => {
    try {
      parseVmdkDescriptor(text, "disk.vmdk");
    } catch (e) {
      if (!(e instanceof ImageError)) throw e;
    }
  };

  it("answers any text with a descriptor or an ImageError", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 3000 }), check), { numRuns: 2000 });
  });

  it("answers any mix of descriptor-like lines with a descriptor or an ImageError", () => {
    const piece = fc.constantFrom(
      "RW",
      "RDONLY",
      "NOACCESS",
      " ",
      "\t",
      "FLAT",
      "SPARSE",
      "ZERO",
      '"',
      "disk.vmdk",
      "0",
      "2048",
      "99999999999999999999999",
      "=",
      "createType",
      "parentCID",
      "ffffffff",
      "#",
      "\n",
      "\r\n",
      "\r",
      "\u0000",
      "é",
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => check(pieces.join(""))), { numRuns: 3000 });
  });

  it("gives back the extents and settings it was written", () => {
    const extent = fc.record({
      access: fc.constantFrom("RW", "RDONLY", "NOACCESS"),
      sectors: fc.integer({ min: 1, max: 2 ** 40 }),
      type: fc.constantFrom("FLAT", "SPARSE", "VMFS", "ZERO"),
      file: fc.stringMatching(/^[A-Za-z0-9 ._-]{1,20}$/),
      offset: fc.integer({ min: 0, max: 2 ** 40 }),
    });
    const layoutStyle = fc.record({ eol: fc.constantFrom("\n", "\r\n"), pad: fc.constantFrom("", " ", "\t"), comment: fc.boolean() });
    fc.assert(
      fc.property(fc.array(extent, { minLength: 1, maxLength: 8 }), fc.constantFrom("monolithicFlat", "twoGbMaxExtentSparse"), fc.stringMatching(/^[0-9a-f]{8}$/), layoutStyle, (extents, createType, parent, style) => {
        const lines = ["# Disk DescriptorFile", `${style.pad}version=1`, `parentCID${style.pad}=${style.pad}${parent}`, `createType = "${createType}"`];
        for (const x of extents) {
          const file = x.type === "ZERO" ? "" : ` "${x.file}"`;
          lines.push(`${style.pad}${x.access} ${x.sectors}  ${x.type}${file}${x.type === "FLAT" ? ` ${x.offset}` : ""}${style.pad}`);
          if (style.comment) lines.push("# a comment");
        }
        lines.push('ddb.uuid.image = "1 2 3"', "ddb.empty = \"\"");
        const desc = parseVmdkDescriptor(lines.join(style.eol), "disk.vmdk");
        expect(desc.createType).toBe(createType);
        expect(desc.parentCID).toBe(parent);
        expect(desc.extents.map(({ line: _, ...x }) => x)).toEqual(
          extents.map((x) => ({ ...x, file: x.type === "ZERO" ? "" : x.file, offset: x.type === "FLAT" ? x.offset : 0 })),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe("property: damaged sparse images", () => {
  it("open, read and write either work or throw ImageError, promptly", async () => {
    const dir = folder();
    const base = join(dir, "base.vmdk");
    await createVmdkImage(base, 4 * MiB);
    const img = await openVmdkImage(base, false);
    await randomWrites(img, new Uint8Array(img.sizeBytes), 1, 5);
    await img.close();
    const original = readFileSync(base);
    const path = join(dir, "damaged.vmdk");

    // The header's fields, then anything in the metadata (descriptor, directories, tables).
    const fields: [number, number][] = [[4, 4], [8, 4], [12, 8], [20, 8], [28, 8], [36, 8], [44, 4], [48, 8], [56, 8], [64, 8], [77, 2]];
    const fieldValue = (width: number) =>
      fc.oneof(
        fc.constantFrom(0n, 1n, 2n, 3n, 7n, 8n, 128n, 512n, 4096n, 0xffffffffn, (1n << BigInt(8 * width)) - 1n),
        fc.bigInt({ min: 0n, max: (1n << BigInt(8 * width)) - 1n }),
        fc.bigInt({ min: 0n, max: BigInt(original.length / 512) + 8n }),
      );
    const fieldChange = fc.constantFrom(...fields).chain(([at, width]) => fieldValue(width).map((value) => ({ at, width, value })));
    // Mostly in the directories and tables (sectors 21 to 30 of this image), else anywhere in the metadata.
    const byteChange = fc.record({ at: fc.oneof(fc.integer({ min: 21 * 512, max: 31 * 512 - 1 }), fc.nat({ max: 64 * KiB - 1 })), value: fc.nat({ max: 255 }) });

    await fc.assert(
      fc.asyncProperty(fc.array(fieldChange, { maxLength: 3 }), fc.array(byteChange, { maxLength: 8 }), fc.boolean(), async (fieldChanges, byteChanges, readOnly) => {
        const file = Buffer.from(original);
        for (const { at, width, value } of fieldChanges) {
          if (width === 8) file.writeBigUInt64LE(value, at);
          else if (width === 4) file.writeUInt32LE(Number(value), at);
          else file.writeUInt16LE(Number(value & 0xffffn), at);
        }
        for (const { at, value } of byteChanges) file[at] = value;
        writeFileSync(path, file);
        await within(exercise(path, readOnly), 10_000);
      }),
      { numRuns: 300 },
    );
  });

  it("opening descriptor files with arbitrary extent lines either works or throws ImageError", async () => {
    const dir = folder();
    writeFileSync(join(dir, "flat.bin"), noise(64 * KiB, 1));
    writeFileSync(join(scratch, "secret.bin"), new Uint8Array(512));
    symlinkSync(join(scratch, "secret.bin"), join(dir, "escape.bin"));
    await createVmdkImage(join(dir, "sparse.vmdk"), MiB);
    const path = join(dir, "disk.vmdk");
    const line = fc
      .record({
        access: fc.constantFrom("RW", "RDONLY", "NOACCESS"),
        sectors: fc.constantFrom(1, 128, 2048, 2 ** 32, 2 ** 44),
        type: fc.constantFrom("FLAT", "SPARSE", "VMFS", "ZERO", "VMFSSPARSE"),
        file: fc.constantFrom("flat.bin", "sparse.vmdk", "disk.vmdk", "missing.bin", "../secret.bin", "escape.bin", "/etc/hostname", ".", "", "sub/x"),
        offset: fc.constantFrom(0, 1, 100, 2 ** 40),
      })
      .map((x) => `${x.access} ${x.sectors} ${x.type}${x.type === "ZERO" ? "" : ` "${x.file}"`}${x.type === "FLAT" ? ` ${x.offset}` : ""}`);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("monolithicFlat", "twoGbMaxExtentSparse", "vmfs", "monolithicSparse", "streamOptimized", "x"), fc.array(line, { maxLength: 4 }), fc.boolean(), async (createType, lines, readOnly) => {
        writeFileSync(path, [`version=1`, `createType="${createType}"`, ...lines].join("\n"));
        await within(exercise(path, readOnly), 10_000);
      }),
      { numRuns: 300 },
    );
  });
});

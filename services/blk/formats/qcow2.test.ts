// qcow2 images checked against QEMU's own tools: images qemu-img makes must read back right, and
// images this code writes must pass `qemu-img check` and convert to exactly the bytes written.

import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageError, type BlockImage } from "../image.js";
import { createQcow2Image, openQcow2Image } from "./qcow2.js";

const KiB = 1024;
const MiB = 1024 * KiB;

let dir: string;
let files = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-qcow2-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh path in the test directory. */
function fresh(name: string): string {
  return join(dir, `${files++}-${name}`);
}

/** Runs a QEMU tool in the test directory, where relative names (data_file=...) then land. */
function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: dir });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function qemuImg(...args: string[]): string {
  const r = run("qemu-img", args);
  if (r.status !== 0) throw new Error(`qemu-img ${args.join(" ")} failed: ${r.out}`);
  return r.out;
}

function qemuIo(path: string, ...commands: string[]): void {
  const r = run("qemu-io", ["-f", "qcow2", ...commands.flatMap((c) => ["-c", c]), path]);
  if (r.status !== 0) throw new Error(`qemu-io ${commands.join("; ")} failed: ${r.out}`);
}

/** `qemu-img check`: exit 0 means no corruption and no leaked clusters. */
function expectClean(path: string): void {
  const r = run("qemu-img", ["check", path]);
  expect(r.out).toContain("No errors were found");
  expect(r.status).toBe(0);
}

/** The disk as QEMU sees it (following backing files). */
async function viaQemu(path: string): Promise<Uint8Array> {
  const out = `${path}.converted`;
  qemuImg("convert", "-O", "raw", path, out);
  const bytes = new Uint8Array(await readFile(out));
  await unlink(out);
  return bytes;
}

/** Deterministic xorshift32, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function randomBytes(len: number, next: () => number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = next() & 0xff;
  return b;
}

/** Content with some texture: 4 KiB blocks of noise, of one repeated byte, or of zeros (so
 * compression and zero detection have something to do). */
function pattern(size: number, seed: number): Uint8Array {
  const next = rng(seed);
  const b = new Uint8Array(size);
  for (let at = 0; at < size; at += 4 * KiB) {
    const end = Math.min(size, at + 4 * KiB);
    const kind = next() % 3;
    if (kind === 0) b.set(randomBytes(end - at, next), at);
    else if (kind === 1) b.fill(next() & 0xff, at, end);
  }
  return b;
}

async function readAll(img: BlockImage): Promise<Uint8Array> {
  const out = new Uint8Array(img.sizeBytes);
  for (let at = 0; at < out.length; at += MiB) await img.read(out.subarray(at, Math.min(out.length, at + MiB)), at);
  return out;
}

/** Compares without printing megabytes on failure: the first differing offset should be -1. */
function expectSame(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  expect(first).toBe(-1);
}

/** Batches of up to four concurrent writes (disjoint, so the outcome is defined), each followed
 * by a read of a range the batch did not touch, all mirrored into `model`. */
async function randomWrites(img: BlockImage, model: Uint8Array, seed: number, count: number, maxLen: number): Promise<void> {
  const next = rng(seed);
  for (let n = 0; n < count; ) {
    const ranges: Array<[number, number]> = [];
    const jobs: Promise<void>[] = [];
    const batch = 1 + (next() % 4);
    for (let k = 0; k < batch; k++, n++) {
      const len = 1 + (next() % maxLen);
      let off = next() % (model.length - len + 1);
      if (next() % 2 === 0) off -= off % 512; // half of them sector-aligned, as a guest does
      if (ranges.some(([a, b]) => off < b && a < off + len)) continue;
      ranges.push([off, off + len]);
      const data = randomBytes(len, next);
      model.set(data, off);
      jobs.push(img.write(data, off));
    }
    const len = 1 + (next() % maxLen);
    const off = next() % (model.length - len + 1);
    if (!ranges.some(([a, b]) => off < b && a < off + len)) {
      const got = new Uint8Array(len);
      jobs.push(img.read(got, off).then(() => expectSame(got, model.subarray(off, off + len))));
    }
    await Promise.all(jobs);
  }
}

async function rawFile(name: string, content: Uint8Array): Promise<string> {
  const path = fresh(name);
  await writeFile(path, content);
  return path;
}

async function expectImageError(p: Promise<unknown>, ...patterns: Array<RegExp | string>): Promise<ImageError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ImageError);
  for (const pat of patterns) expect((e as Error).message).toMatch(pat);
  return e as ImageError;
}

describe("images made by qemu-img", () => {
  for (const compat of ["0.10", "1.1"]) {
    it(`qemu-img create -o compat=${compat}: reads as zeros, takes writes qemu-img check accepts`, async () => {
      const path = fresh("created.qcow2");
      qemuImg("create", "-q", "-f", "qcow2", "-o", `compat=${compat}`, path, "4M");
      const img = await openQcow2Image(path, false);
      expect(img.format).toBe("qcow2");
      expect(img.sizeBytes).toBe(4 * MiB);
      const model = new Uint8Array(4 * MiB);
      expectSame(await readAll(img), model);
      await randomWrites(img, model, 7, 200, 150 * KiB);
      await img.flush();
      await img.close();
      expectClean(path);
      expectSame(await viaQemu(path), model);
      const again = await openQcow2Image(path, true);
      expectSame(await readAll(again), model);
      await again.close();
    });
  }

  const conversions: Array<[string, number]> = [
    ["0.10", 64 * KiB],
    ["0.10", 4 * KiB],
    ["1.1", 64 * KiB],
    ["1.1", 512],
    ["1.1", 2 * MiB],
  ];
  for (const [compat, clusterSize] of conversions) {
    it(`qemu-img convert -O qcow2 -o compat=${compat},cluster_size=${clusterSize} from raw reads back identical`, async () => {
      const content = pattern(3 * MiB + 4608, clusterSize);
      const raw = await rawFile("source.raw", content);
      const path = fresh("converted.qcow2");
      qemuImg("convert", "-O", "qcow2", "-o", `compat=${compat},cluster_size=${clusterSize}`, raw, path);
      const img = await openQcow2Image(path, true);
      expect(img.sizeBytes).toBe(content.length);
      expectSame(await readAll(img), content);
      const next = rng(clusterSize);
      for (let k = 0; k < 50; k++) {
        const len = 1 + (next() % Math.min(content.length, 3 * clusterSize));
        const off = next() % (content.length - len + 1);
        const got = new Uint8Array(len);
        await img.read(got, off);
        expectSame(got, content.subarray(off, off + len));
      }
      await img.close();
    });
  }

  it("data and zero clusters qemu-io wrote over a backing file read right, and take writes", async () => {
    const base = pattern(1 * MiB, 3);
    const basePath = await rawFile("base.raw", base);
    const path = fresh("overlay.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-b", basename(basePath), "-F", "raw", path, "1M");
    qemuIo(path, "write -P 0xab 4096 4096", "write -z 65536 65536", "write -z 131072 4096");
    const model = base.slice();
    model.fill(0xab, 4096, 8192);
    model.fill(0, 65536, 131072);
    model.fill(0, 131072, 135168);
    const img = await openQcow2Image(path, false);
    expectSame(await readAll(img), model);
    // Into the zero cluster: the rest of it must stay zeros, not show the backing file.
    const data = randomBytes(100, rng(5));
    await img.write(data, 65536 + 1000);
    model.set(data, 65536 + 1000);
    await randomWrites(img, model, 11, 40, 20 * KiB);
    expectSame(await readAll(img), model);
    await img.close();
    expectClean(path);
    expectSame(await viaQemu(path), model);
    expectSame(new Uint8Array(await readFile(basePath)), base);
  });
});

describe("writes", () => {
  it("512-byte clusters: new refcount blocks and a grown refcount table stay consistent", async () => {
    const path = fresh("small-clusters.qcow2");
    await createQcow2Image(path, 32 * MiB, { clusterBits: 9 });
    const img = await openQcow2Image(path, false);
    const model = new Uint8Array(32 * MiB);
    const next = rng(99);
    // 12 MiB of data needs 24576 clusters: 96 refcount blocks, more than one table cluster holds.
    for (let at = 0; at < 12 * MiB; at += MiB) {
      const data = randomBytes(MiB, next);
      model.set(data, at);
      await img.write(data, at);
    }
    await randomWrites(img, model, 5, 300, 3000);
    await img.close();
    const header = new DataView((await readFile(path)).buffer);
    expect(header.getUint32(56)).toBeGreaterThan(1); // refcount_table_clusters grew
    expectClean(path);
    expectSame(await viaQemu(path), model);
  });

  it("one large write allocates its clusters contiguously", async () => {
    const path = fresh("large-write.qcow2");
    await createQcow2Image(path, 64 * MiB);
    const before = (await stat(path)).size;
    const img = await openQcow2Image(path, false);
    const data = randomBytes(8 * MiB + 3000, rng(8));
    await img.write(data, 100 * KiB + 17);
    const back = new Uint8Array(data.length);
    await img.read(back, 100 * KiB + 17);
    expectSame(back, data);
    await img.close();
    // Clusters 1 to 129, and one L2 table.
    expect((await stat(path)).size - before).toBe(130 * 64 * KiB);
    const model = new Uint8Array(64 * MiB);
    model.set(data, 100 * KiB + 17);
    expectClean(path);
    expectSame(await viaQemu(path), model);
  });

  it("concurrent writes to one unallocated cluster allocate it once", async () => {
    const path = fresh("concurrent.qcow2");
    await createQcow2Image(path, 4 * MiB);
    const before = (await stat(path)).size;
    const img = await openQcow2Image(path, false);
    const model = new Uint8Array(4 * MiB);
    const next = rng(21);
    await Promise.all(
      Array.from({ length: 16 }, (_, k) => {
        const data = randomBytes(512, next);
        const at = 3 * 64 * KiB + k * 4 * KiB;
        model.set(data, at);
        return img.write(data, at);
      }),
    );
    expectSame(await readAll(img), model);
    await img.close();
    expect((await stat(path)).size - before).toBe(2 * 64 * KiB); // one L2 table, one data cluster
    expectClean(path);
    expectSame(await viaQemu(path), model);
  });

  it("entries missing the copied flag: the L1 entry is repaired, the data cluster moved", async () => {
    const path = fresh("uncopied.qcow2");
    await createQcow2Image(path, 4 * MiB);
    const cs = 64 * KiB;
    const model = new Uint8Array(4 * MiB);
    model.fill(0x66, 0, 4 * cs);
    const setup = await openQcow2Image(path, false);
    await setup.write(model.subarray(0, 4 * cs), 0);
    await setup.close();
    const changed = await patched(path, (_, v) => {
      const l1 = Number(v.getBigUint64(40));
      const l2 = Number(v.getBigUint64(l1) & 0x00fffffffffffe00n);
      v.setUint32(l1, v.getUint32(l1) & 0x7fffffff);
      v.setUint32(l2 + 8, v.getUint32(l2 + 8) & 0x7fffffff);
    });
    const img = await openQcow2Image(changed, false);
    const data = randomBytes(3000, rng(4));
    await img.write(data, cs + 100); // cluster 1: copied to a new cluster, the old one freed
    model.set(data, cs + 100);
    await img.write(data, 5 * cs); // a new cluster in the same L2 table
    model.set(data, 5 * cs);
    await img.close();
    expectClean(changed);
    expectSame(await viaQemu(changed), model);
  });

  it("many writes at once, sharing clusters but not bytes, are batched correctly", async () => {
    const path = fresh("busy.qcow2");
    await createQcow2Image(path, 2 * MiB, { clusterBits: 12 });
    const img = await openQcow2Image(path, false);
    const model = new Uint8Array(2 * MiB);
    const next = rng(77);
    const slots = [...new Set(Array.from({ length: 600 }, () => next() % (model.length / 512)))];
    await Promise.all(
      slots.map((slot) => {
        const data = randomBytes(1 + (next() % 512), next);
        model.set(data, slot * 512);
        return img.write(data, slot * 512);
      }),
    );
    expectSame(await readAll(img), model);
    await img.close();
    expectClean(path);
    expectSame(await viaQemu(path), model);
  });

  it("a read-only image refuses writes; requests outside the disk are refused", async () => {
    const path = fresh("read-only.qcow2");
    await createQcow2Image(path, 1 * MiB);
    const img = await openQcow2Image(path, true);
    await expectImageError(img.write(new Uint8Array(512), 0), path, /read-only/);
    await expect(img.read(new Uint8Array(512), MiB - 511)).rejects.toThrow(RangeError);
    await img.close();
  });
});

describe("backing files", () => {
  it("raw base, overlay by qemu-img: reads through, zeros past the base's end, base untouched", async () => {
    const base = pattern(1 * MiB + 512, 13);
    const basePath = await rawFile("base.raw", base);
    const path = fresh("overlay.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-b", basename(basePath), "-F", "raw", path, "3M");
    const img = await openQcow2Image(path, false);
    const model = new Uint8Array(3 * MiB);
    model.set(base);
    expectSame(await readAll(img), model);
    await randomWrites(img, model, 17, 150, 100 * KiB);
    await img.close();
    expectSame(new Uint8Array(await readFile(basePath)), base);
    expectClean(path);
    expectSame(await viaQemu(path), model);
  });

  it("qcow2 base, overlay by createQcow2Image (relative name)", async () => {
    const content = pattern(2 * MiB, 19);
    const baseRaw = await rawFile("base-source.raw", content);
    const basePath = fresh("base.qcow2");
    qemuImg("convert", "-O", "qcow2", baseRaw, basePath);
    const baseBytes = new Uint8Array(await readFile(basePath));
    const path = fresh("overlay.qcow2");
    await createQcow2Image(path, 2 * MiB, { backingFile: basename(basePath), backingFormat: "qcow2" });
    const info = JSON.parse(qemuImg("info", "--output=json", path)) as Record<string, unknown>;
    expect(info["backing-filename"]).toBe(basename(basePath));
    expect(info["backing-filename-format"]).toBe("qcow2");
    const img = await openQcow2Image(path, false);
    const model = content.slice();
    expectSame(await readAll(img), model);
    await randomWrites(img, model, 23, 150, 100 * KiB);
    await img.close();
    expectSame(new Uint8Array(await readFile(basePath)), baseBytes);
    expectClean(path);
    expectSame(await viaQemu(path), model);
  });

  it("a chain raw <- qcow2 <- qcow2, absolute names, the top's backing format probed", async () => {
    const base = pattern(1 * MiB, 29);
    const basePath = await rawFile("base.raw", base);
    const mid = fresh("mid.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-b", basePath, "-F", "raw", mid, "2M");
    qemuIo(mid, "write -P 0x11 0 100000", "write -P 0x22 1500000 100000");
    const top = fresh("top.qcow2");
    await createQcow2Image(top, 2 * MiB, { backingFile: mid });
    expect(JSON.parse(qemuImg("info", "--output=json", top))["backing-filename-format"]).toBe("qcow2");
    const model = new Uint8Array(2 * MiB);
    model.set(base);
    model.fill(0x11, 0, 100000);
    model.fill(0x22, 1500000, 1600000);
    const img = await openQcow2Image(top, false);
    expectSame(await readAll(img), model);
    await randomWrites(img, model, 31, 100, 70 * KiB);
    await img.close();
    expectClean(top);
    expectClean(mid);
    expectSame(await viaQemu(top), model);
  });

  it("without a backing format in the header, the backing file's format is probed", async () => {
    const content = pattern(MiB, 37);
    const basePath = fresh("base.qcow2");
    qemuImg("convert", "-O", "qcow2", await rawFile("base.raw", content), basePath);
    const path = fresh("overlay.qcow2");
    await createQcow2Image(path, MiB, { backingFile: basename(basePath), backingFormat: "qcow2" });
    const unnamed = await patched(path, (b, v) => {
      const ext = Buffer.from(b).indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]));
      v.setUint32(ext, 0x12345678); // an unknown extension, which readers skip
    });
    const img = await openQcow2Image(unnamed, true);
    expectSame(await readAll(img), content);
    await img.close();
  });

  it("a missing backing file is refused at open, naming both files", async () => {
    const basePath = await rawFile("doomed.raw", new Uint8Array(MiB));
    const path = fresh("orphan.qcow2");
    await createQcow2Image(path, MiB, { backingFile: basename(basePath), backingFormat: "raw" });
    await unlink(basePath);
    await expectImageError(openQcow2Image(path, true), path, basePath, /backing file/);
  });

  it("a backing chain that loops is refused", async () => {
    const first = await rawFile("first.qcow2", new Uint8Array(MiB)); // a stand-in, replaced below
    const second = fresh("second.qcow2");
    await createQcow2Image(second, MiB, { backingFile: basename(first), backingFormat: "qcow2" });
    await unlink(first);
    await createQcow2Image(first, MiB, { backingFile: basename(second), backingFormat: "qcow2" });
    await expectImageError(openQcow2Image(second, true), /loops/);
  });
});

describe("compressed clusters", () => {
  const cases: Array<[string, number]> = [
    ["0.10", 64 * KiB],
    ["1.1", 64 * KiB],
    ["1.1", 4 * KiB],
  ];
  for (const [compat, clusterSize] of cases) {
    it(`qemu-img convert -c (compat=${compat}, cluster_size=${clusterSize}) reads right; writes over them leak nothing`, async () => {
      const content = pattern(2 * MiB, clusterSize + 1);
      const raw = await rawFile("source.raw", content);
      const path = fresh("compressed.qcow2");
      qemuImg("convert", "-c", "-O", "qcow2", "-o", `compat=${compat},cluster_size=${clusterSize}`, raw, path);
      expect((await stat(path)).size).toBeLessThan(content.length * 0.75);
      const img = await openQcow2Image(path, false);
      expectSame(await readAll(img), content);
      const model = content.slice();
      await randomWrites(img, model, clusterSize, 100, 2 * clusterSize);
      await img.close();
      expectClean(path);
      expectSame(await viaQemu(path), model);
    });
  }
});

describe("createQcow2Image", () => {
  const shapes: Array<[number, number]> = [
    [16, 1024 * MiB],
    [9, 4096 * MiB], // the L1 table alone needs more clusters than one refcount block counts
    [21, 10240 * MiB],
    [16, 0],
  ];
  for (const [clusterBits, size] of shapes) {
    it(`makes a v3 image qemu-img accepts: ${size} bytes, ${2 ** clusterBits}-byte clusters`, async () => {
      const path = fresh("new.qcow2");
      await createQcow2Image(path, size, { clusterBits });
      expectClean(path);
      const info = JSON.parse(qemuImg("info", "--output=json", path));
      expect(info["virtual-size"]).toBe(size);
      expect(info["cluster-size"]).toBe(2 ** clusterBits);
      expect(info["format-specific"].data.compat).toBe("1.1");
      expect(info["format-specific"].data["refcount-bits"]).toBe(16);
      if (size === 0) return;
      const img = await openQcow2Image(path, false);
      const data = randomBytes(5000, rng(clusterBits));
      await img.write(data, size - 5000);
      await img.write(data, 12345);
      await img.close();
      expectClean(path);
    });
  }

  it("refuses bad arguments and existing files", async () => {
    const path = fresh("exists.qcow2");
    await createQcow2Image(path, MiB);
    await expectImageError(createQcow2Image(path, MiB), path, /EEXIST/);
    await expectImageError(createQcow2Image(fresh("odd.qcow2"), 1000), /multiple of 512/);
    await expectImageError(createQcow2Image(fresh("bits.qcow2"), MiB, { clusterBits: 8 }), /clusterBits/);
    await expectImageError(createQcow2Image(fresh("bits.qcow2"), MiB, { clusterBits: 22 }), /clusterBits/);
    await expectImageError(createQcow2Image(fresh("huge.qcow2"), 2 ** 50, { clusterBits: 9 }), /too large/);
    await expectImageError(createQcow2Image(fresh("orphan.qcow2"), MiB, { backingFile: "nowhere.raw" }), /nowhere\.raw/);
  });
});

/** A copy of `source` with `patch` applied to its bytes, as a new file. */
async function patched(source: string, patch: (b: Uint8Array, v: DataView) => void): Promise<string> {
  const bytes = new Uint8Array(await readFile(source));
  patch(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return rawFile(`patched-${basename(source)}`, bytes);
}

describe("refused images", () => {
  const byQemu: Array<[string, RegExp]> = [
    ["refcount_bits=8", /refcount_order is 3/],
    ["extended_l2=on", /extended L2 entries/],
    ["compression_type=zstd", /compression_type is 1 \(zstd\)/],
    ["data_file=external.raw", /external data file/],
  ];
  for (const [option, message] of byQemu) {
    it(`qemu-img create -o ${option}`, async () => {
      const path = fresh("feature.qcow2");
      qemuImg("create", "-q", "-f", "qcow2", "-o", option, path, "1M");
      await expectImageError(openQcow2Image(path, true), path, message);
    });
  }

  it("encryption and unknown incompatible features", async () => {
    const path = fresh("plain.qcow2");
    await createQcow2Image(path, MiB);
    await expectImageError(openQcow2Image(await patched(path, (_, v) => v.setUint32(32, 2)), true), /crypt_method is 2 \(LUKS\)/, /encrypted/);
    await expectImageError(openQcow2Image(await patched(path, (_, v) => v.setUint32(32, 1)), true), /AES/);
    await expectImageError(openQcow2Image(await patched(path, (_, v) => v.setUint32(76, 1 << 9)), true), /incompatible_features has bit 9/);
  });

  it("an unknown incompatible feature is named from the feature name table", async () => {
    const path = fresh("named.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", path, "1M"); // qemu-img writes a feature name table
    const changed = await patched(path, (b, v) => {
      v.setBigUint64(72, 1n << 40n);
      const table = Buffer.from(b).indexOf(Buffer.from("dirty bit"));
      b[table - 1] = 40; // the entry for incompatible bit 0 now describes bit 40
    });
    await expectImageError(openQcow2Image(changed, true), /bit 40 \("dirty bit"\)/);
  });

  it("marked corrupt: read-only only", async () => {
    const path = fresh("corrupt.qcow2");
    await createQcow2Image(path, MiB);
    const changed = await patched(path, (_, v) => v.setBigUint64(72, 2n));
    await expectImageError(openQcow2Image(changed, false), /corrupt/, /read-only/);
    await (await openQcow2Image(changed, true)).close();
  });

  it("dirty (lazy refcounts, not closed): read-only only", async () => {
    const path = fresh("dirty.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", path, "1M");
    run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x5a 0 4k", "-c", "abort", path]); // dies leaving the dirty bit
    await expectImageError(openQcow2Image(path, false), path, /dirty/, /read-only/);
    const img = await openQcow2Image(path, true);
    const got = new Uint8Array(4096);
    await img.read(got, 0);
    expectSame(got, new Uint8Array(4096).fill(0x5a));
    await img.close();
  });

  it("internal snapshots: read-only only, reading the active layer", async () => {
    const path = fresh("snap.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", path, "1M");
    qemuIo(path, "write -P 0x01 0 64k");
    qemuImg("snapshot", "-c", "one", path);
    qemuIo(path, "write -P 0x02 0 4k");
    await expectImageError(openQcow2Image(path, false), /snapshot/, /read-only/);
    const img = await openQcow2Image(path, true);
    const got = new Uint8Array(8192);
    await img.read(got, 0);
    expectSame(got, new Uint8Array(8192).fill(0x02, 0, 4096).fill(0x01, 4096));
    await img.close();
  });
});

describe("damaged images", () => {
  // Each patch to a good image (64 KiB clusters: header, refcount table, refcount block, L1 at
  // 0x30000) and the field its error must name.
  const headerDamage: Array<[string, (b: Uint8Array, v: DataView) => void, RegExp]> = [
    ["bad magic", (_, v) => v.setUint32(0, 0x12345678), /magic is 0x12345678/],
    ["version 1", (_, v) => v.setUint32(4, 1), /version is 1/],
    ["cluster_bits 8", (_, v) => v.setUint32(20, 8), /cluster_bits is 8/],
    ["cluster_bits 22", (_, v) => v.setUint32(20, 22), /cluster_bits is 22/],
    ["absurd size", (_, v) => v.setBigUint64(24, 1n << 62n), /size is 0x4000000000000000/],
    ["size too large for the clusters", (_, v) => v.setBigUint64(24, 1n << 52n), /size is \d+, too large/],
    ["L1 table too small", (_, v) => v.setUint32(36, 0), /l1_size is 0, too small/],
    ["L1 table beyond the file", (_, v) => v.setBigUint64(40, 1n << 30n), /l1_table_offset .* beyond the end of the file/],
    ["L1 table unaligned", (_, v) => v.setBigUint64(40, 0x30008n), /l1_table_offset is 0x30008, not aligned/],
    ["refcount table unaligned", (_, v) => v.setBigUint64(48, 0x10200n), /refcount_table_offset is 0x10200, not aligned/],
    ["refcount table empty", (_, v) => v.setUint32(56, 0), /refcount_table_clusters is 0/],
    ["refcount table beyond the file", (_, v) => v.setUint32(56, 50), /refcount_table_offset .* beyond the end of the file/],
    ["L1 table on the refcount table", (_, v) => v.setBigUint64(40, 0x10000n), /refcount table .* overlaps the L1 table/],
    ["L1 table on the header", (_, v) => v.setBigUint64(40, 0n), /L1 table .* overlaps the header/],
    ["snapshot table unaligned", (_, v) => (v.setUint32(60, 1), v.setBigUint64(64, 0x100n)), /snapshots_offset is 0x100, not aligned/],
    ["header_length 100", (_, v) => v.setUint32(100, 100), /header_length is 100/],
    ["backing file name too long", (_, v) => (v.setBigUint64(8, 0x200n), v.setUint32(16, 5000)), /backing_file_size is 5000/],
    ["backing file missing", (b, v) => (v.setBigUint64(8, 0x200n), v.setUint32(16, 4), b.set(Buffer.from("gone"), 0x200)), /cannot open backing file .*gone/],
    ["header extension overruns", (_, v) => (v.setUint32(112, 0x12345678), v.setUint32(116, 0x100000)), /header extension 0x12345678/],
  ];
  for (const [what, patch, message] of headerDamage) {
    it(`refuses at open: ${what}`, async () => {
      const good = fresh("good.qcow2");
      await createQcow2Image(good, 64 * MiB);
      const path = await patched(good, patch);
      await expectImageError(openQcow2Image(path, false), path, message);
    });
  }

  it("refuses a file too short for a header", async () => {
    const path = await rawFile("short.qcow2", new Uint8Array([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]));
    await expectImageError(openQcow2Image(path, true), path, /too short/);
  });

  it("a damaged L2 entry fails the requests that use it, and only those, without touching the file", async () => {
    const path = fresh("l2-damage.qcow2");
    await createQcow2Image(path, 4 * MiB);
    const cs = 64 * KiB;
    const setup = await openQcow2Image(path, false);
    await setup.write(new Uint8Array(4 * cs).fill(0x33), 0);
    await setup.close();
    const bytes = new Uint8Array(await readFile(path));
    const v = new DataView(bytes.buffer);
    const l2 = Number(v.getBigUint64(Number(v.getBigUint64(40))) & 0x00fffffffffffe00n);
    const end = BigInt(bytes.length);
    v.setBigUint64(l2 + 8, (1n << 63n) | (end + 2n * BigInt(cs))); // cluster 1: beyond the end of the file
    v.setBigUint64(l2 + 16, (1n << 63n) | (v.getBigUint64(l2 + 16) + 512n)); // cluster 2: unaligned
    v.setBigUint64(l2 + 24, (1n << 63n) | v.getBigUint64(40)); // cluster 3: the L1 table
    await writeFile(path, bytes);

    const img = await openQcow2Image(path, false);
    const got = new Uint8Array(cs);
    await img.read(got, 0);
    expectSame(got, new Uint8Array(cs).fill(0x33));
    await expectImageError(img.read(got, cs), path, /guest offset 0x10000/, /beyond the end of the file/);
    await expectImageError(img.read(got, 2 * cs), /guest offset 0x20000/, /not cluster-aligned/);
    await expectImageError(img.write(got, 2 * cs + 100), /not cluster-aligned/);
    await expectImageError(img.write(got, 3 * cs), /inside the L1 table/);
    await expectImageError(img.write(got.subarray(0, 10), cs - 5), /guest offset 0x10000/); // spans clusters 0 and 1
    expectSame(new Uint8Array(await readFile(path)), bytes);
    // Once the file has grown past where the dangling entry points, it is still refused.
    await img.write(new Uint8Array(10 * cs).fill(0x44), 20 * cs);
    await expectImageError(img.read(got, cs), /beyond the end of the file/);
    await img.close();
  });

  it("a damaged L1 entry fails the requests that use it", async () => {
    const path = fresh("l1-damage.qcow2");
    await createQcow2Image(path, 2048 * MiB); // four L1 entries
    const patchedPath = await patched(path, (_, v) => {
      const l1 = Number(v.getBigUint64(40));
      v.setBigUint64(l1 + 8, (1n << 63n) | 0x7770000n); // beyond the end
      v.setBigUint64(l1 + 16, (1n << 63n) | 0x10000n); // the refcount table
    });
    const img = await openQcow2Image(patchedPath, false);
    const got = new Uint8Array(512);
    await img.read(got, 0);
    await expectImageError(img.read(got, 512 * MiB), /L1 entry 1/, /beyond the end of the file/);
    await expectImageError(img.write(got, 1024 * MiB), /L1 entry 2/, /into the refcount table/);
    await img.close();
  });
});

describe("property: damaged images fail with ImageError, never anything else", () => {
  const U32_FIELDS = [4, 16, 20, 32, 36, 56, 60, 96, 100];
  const U64_FIELDS = [8, 24, 40, 48, 64, 72, 80, 88];
  const interesting = [0n, 1n, 9n, 16n, 21n, 512n, 0x10000n, 0x30000n, 0x40000n, (1n << 31n) - 1n, 1n << 32n, 1n << 53n, 1n << 63n, (1n << 64n) - 1n];

  /** A small image to damage: 512-byte clusters (so every table is a few clusters), a backing
   * file, data, zero and compressed clusters. */
  let good: Uint8Array;
  let goodPath: string;
  beforeAll(async () => {
    const base = await rawFile("prop-base.raw", pattern(64 * KiB, 41));
    goodPath = fresh("prop-good.qcow2");
    qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", basename(base), "-F", "raw", goodPath, "128K");
    const img = await openQcow2Image(goodPath, false);
    await img.write(pattern(20 * KiB, 47), 30 * KiB);
    await img.close();
    qemuIo(goodPath, "write -z 60k 2k", "write -c -P 0x77 8k 2k");
    good = new Uint8Array(await readFile(goodPath));
  });

  async function onlyImageError(p: Promise<unknown>): Promise<void> {
    await p.catch((e: unknown) => {
      if (!(e instanceof ImageError)) throw e;
    });
  }

  /** Opens, reads and writes here and there; anything but success or ImageError fails. */
  async function exercise(bytes: Uint8Array, readOnly: boolean, ops: Array<[number, number]>): Promise<void> {
    const path = join(dir, "prop-case.qcow2");
    await writeFile(path, bytes);
    const img = await openQcow2Image(path, readOnly).catch(async (e: unknown) => onlyImageError(Promise.reject(e)));
    if (img === undefined) return;
    for (const [where, len] of ops) {
      const n = Math.min(len, img.sizeBytes);
      const at = Math.floor(where * (img.sizeBytes - n));
      const buf = new Uint8Array(n).fill(0x5c);
      await onlyImageError(img.read(buf, at));
      if (!readOnly) await onlyImageError(img.write(buf, at));
    }
    await img.close();
  }

  const ops = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5000 })), { maxLength: 6 });

  it("mutated header fields", async () => {
    const mutation = fc.oneof(
      fc.record({ at: fc.constantFrom(...U32_FIELDS), value: fc.oneof(fc.constantFrom(...interesting), fc.bigInt(0n, (1n << 32n) - 1n)), width: fc.constant(4) }),
      fc.record({ at: fc.constantFrom(...U64_FIELDS), value: fc.oneof(fc.constantFrom(...interesting), fc.bigInt(0n, (1n << 64n) - 1n)), width: fc.constant(8) }),
      fc.record({ at: fc.integer({ min: 0, max: 511 }), value: fc.bigInt(0n, 255n), width: fc.constant(1) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.boolean(), ops, async (mutations, readOnly, requests) => {
        const bytes = good.slice();
        const v = new DataView(bytes.buffer);
        for (const { at, value, width } of mutations) {
          if (width === 8) v.setBigUint64(at, value);
          else if (width === 4) v.setUint32(at, Number(value & 0xffffffffn));
          else bytes[at] = Number(value);
        }
        await exercise(bytes, readOnly, requests);
      }),
      { numRuns: 300 },
    );
  });

  it("random damage anywhere in the metadata and data", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        ops,
        async (damage, readOnly, requests) => {
          const bytes = good.slice();
          for (const [at, value] of damage) bytes[at] = value;
          await exercise(bytes, readOnly, requests);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("random files that start like qcow2", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4096 }), fc.constantFrom(2, 3), fc.boolean(), ops, async (tail, version, readOnly, requests) => {
        const bytes = new Uint8Array(8 + tail.length);
        new DataView(bytes.buffer).setUint32(0, 0x514649fb);
        new DataView(bytes.buffer).setUint32(4, version);
        bytes.set(tail, 8);
        await exercise(bytes, readOnly, requests);
      }),
      { numRuns: 300 },
    );
  });

  it("the image the properties damage is itself sound", async () => {
    expectClean(goodPath);
    const img = await openQcow2Image(goodPath, true);
    expectSame(await readAll(img), await viaQemu(goodPath));
    await img.close();
  });
});

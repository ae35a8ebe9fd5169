// qcow2, QEMU's copy-on-write image format, versions 2 and 3 (QEMU's docs/interop/qcow2.txt).
// The guest disk is cut into clusters; a two-level table (L1 -> L2 -> host cluster) says where
// each lives in the file, and a second two-level table (refcount table -> refcount blocks) counts
// the references to every host cluster. Unmapped clusters read from a backing file, or as zeros.
//
// Reads: standard, zero (v3) and compressed (zlib) clusters, backing files (raw or qcow2, chains).
//
// Writes to clusters the image already owns go straight to the file. The others (unallocated,
// zero, compressed or shared clusters) get a new cluster, always appended at the end of the file,
// so a host cluster is never reused: a reader that looked a mapping up just before a write
// replaced it still reads intact data. Such writes queue; those that arrive together make one
// batch, done under a lock in this order: the new clusters' refcounts and the data (with what
// the cluster held before around the written part), then the L2 entries, last the refcounts of
// the replaced clusters. A crash of the process therefore leaks clusters at worst. Metadata is
// written through, with no dirty cache, so flush() is just fdatasync; but between flushes the
// kernel may reorder writes on their way to the disk, so a crash of the host may leave refcounts
// behind the mappings (qemu-img check -r all repairs that).
//
// Refused: encryption, external data files, extended L2 entries, zstd, refcounts other than
// 16 bits, unknown incompatible features; writing to images that are dirty (lazy refcounts),
// marked corrupt, or hold internal snapshots (they would need copy-on-write of L2 tables).

import { open, realpath, type FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { constants as zlib, inflateRawSync } from "node:zlib";
import { readFully, writeFully } from "./file-io.js";
import { ImageError, type BlockImage } from "../image.js";
import { openRawImage } from "./raw.js";

/** Opens the backing file of a qcow2 image, read-only; `format` comes from the image's header
 * extension, or from the file's first bytes when the header names none. */
export type BackingOpener = (path: string, format: string) => Promise<BlockImage>;

const MAGIC = 0x514649fb; // "QFI\xfb"
const V2_HEADER_BYTES = 72;
const V3_HEADER_BYTES = 104;
const MIN_CLUSTER_BITS = 9;
const MAX_CLUSTER_BITS = 21; // QEMU's limit (2 MiB)
const DEFAULT_CLUSTER_BITS = 16;
const MAX_L1_BYTES = 32 << 20; // QEMU's limits, which also bound what we keep in memory
const MAX_REFTABLE_BYTES = 8 << 20;
const MAX_SNAPSHOTS = 65536;
const MAX_BACKING_NAME = 1023;
const EXT_END = 0;
const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_FEATURE_NAMES = 0x6803f857;
const OFF_REFCOUNT_TABLE = 48; // header offset of refcount_table_offset, then refcount_table_clusters
const OFF_AUTOCLEAR = 88;

const INCOMPAT_DIRTY = 1n << 0n;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTENDED_L2 = 1n << 4n;
const INCOMPAT_KNOWN = (1n << 5n) - 1n;

// Table entries are big-endian 64-bit words, handled as two 32-bit halves (hi, lo).
const HI_COPIED = 0x80000000; // bit 63: refcount is exactly one, so the cluster may be written in place
const HI_COMPRESSED = 0x40000000; // bit 62 of an L2 entry
const HI_OFFSET = 0x00ffffff; // bits 32-55 of a cluster offset
const LO_OFFSET = 0xfffffe00; // bits 9-31
const LO_ZERO = 1; // bit 0 of an L2 entry (v3): reads as zeros
const L1_RESERVED_HI = 0x7f000000;
const L2_RESERVED_HI = 0x3f000000;
const L2_RESERVED_LO = 0x1fe;
const SECTOR = 512; // compressed clusters are measured in 512-byte sectors

const L2_CACHE_BYTES = 4 << 20; // covers 32 GiB of guest disk with 64 KiB clusters
const REFBLOCK_CACHE_BYTES = 1 << 20;
const BATCH_MAX = 64; // allocating writes that share one round of metadata updates
const TWO32 = 2 ** 32;

interface Header {
  version: number;
  clusterBits: number;
  sizeBytes: number;
  l1Size: number;
  l1Offset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  snapshots: number;
  incompatible: bigint;
  autoclear: bigint;
  backingFile?: string;
  backingFormat?: string;
}

type Kind = "unallocated" | "zero" | "data" | "compressed";

/** Where one guest cluster's bytes are. `host` is the host cluster (data, or a zero cluster's
 * preallocation, 0 if none) or a compressed cluster's first byte, which spans `bytes` bytes. */
interface Mapping {
  kind: Kind;
  host: number;
  copied: boolean;
  bytes: number;
}

const UNALLOCATED: Mapping = { kind: "unallocated", host: 0, copied: false, bytes: 0 };

/** A request's share of one guest cluster: `len` bytes at disk offset `guest`, buffer offset `pos`. */
interface Piece {
  m: Mapping;
  guest: number;
  pos: number;
  len: number;
}

interface QueuedWrite {
  buf: Uint8Array;
  offset: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Table {
  offset: number;
  bytes: Uint8Array;
  view: DataView;
}

/** Opens a qcow2 image; backing files are opened with `opener`, by default raw and qcow2 ones
 * (a loop in the chain is refused; a custom opener must see to that itself). */
export async function openQcow2Image(path: string, readOnly: boolean, opener?: BackingOpener): Promise<BlockImage> {
  let fh: FileHandle;
  try {
    fh = await open(path, readOnly ? "r" : "r+");
  } catch (e) {
    throw new ImageError(`cannot open disk image ${path}: ${(e as Error).message}`);
  }
  try {
    const backingOpener = opener ?? chainOpener(new Set([await realpath(path)]));
    return await Qcow2Image.load(path, readOnly, fh, backingOpener);
  } catch (e) {
    await fh.close().catch(() => {});
    // Anything else (an I/O error, a bad path in the header) still means: this image cannot be opened.
    throw e instanceof ImageError ? e : new ImageError(`${path}: ${(e as Error).message}`);
  }
}

/** Opens raw and qcow2 backing files; `seen` holds the chain's files so a loop is refused. */
function chainOpener(seen: Set<string>): BackingOpener {
  const opener: BackingOpener = async (path, format) => {
    if (format === "raw") return openRawImage(path, true);
    if (format !== "qcow2") throw new ImageError(`backing format "${format}" is not supported (raw and qcow2 are)`);
    const real = await realpath(path);
    if (seen.has(real)) throw new ImageError(`the backing chain loops back to ${path}`);
    seen.add(real);
    return openQcow2Image(path, true, opener);
  };
  return opener;
}

/** "qcow2" if the file starts with the qcow2 magic, else "raw" (what QEMU's probing would say). */
async function probeFormat(path: string): Promise<string> {
  const fh = await open(path, "r");
  try {
    const b = new Uint8Array(4);
    await readFully(fh, b, 0);
    return new DataView(b.buffer).getUint32(0) === MAGIC ? "qcow2" : "raw";
  } finally {
    await fh.close();
  }
}

class Qcow2Image implements BlockImage {
  readonly format = "qcow2";
  private readonly cs: number;
  private readonly l2Entries: number;
  private readonly refsPerBlock: number;
  private readonly l1View: DataView;
  private refTable: Uint8Array;
  private refView: DataView;
  private refTableOffset: number;
  /** Cluster-aligned end of the file when opened: pointers beyond it are damaged unless they
   * point at clusters allocated since, by the entry that was made for them. */
  private readonly openEnd: number;
  /** Cluster-aligned end of the file: where the next allocation goes. */
  private fileEnd: number;
  /** Host clusters holding metadata (header, tables, blocks), by cluster number, to keep data
   * writes and table pointers from landing on them. */
  private readonly meta = new Map<number, string>();
  /** For each cluster from `openEnd` on, the guest cluster (+1) it was allocated for, or 0. */
  private owners = new Float64Array(0);
  /** L2 tables by L1 index, least recently used first; a promise while loading, so concurrent
   * misses read once. */
  private readonly l2Cache = new Map<number, Table | Promise<Table>>();
  private readonly l2CacheMax: number;
  /** Refcount blocks by refcount table index; only touched under the metadata lock. */
  private readonly refCache = new Map<number, Uint8Array>();
  private readonly refCacheMax: number;
  /** Metadata updates run one at a time, in the order asked. */
  private lockTail: Promise<unknown> = Promise.resolve();
  /** Writes waiting for clusters to be allocated, in order of arrival. */
  private queue: QueuedWrite[] = [];

  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    private readonly fh: FileHandle,
    private readonly h: Header,
    private readonly l1: Uint8Array,
    refTable: Uint8Array,
    fileSize: number,
    private readonly backing: BlockImage | undefined,
  ) {
    this.cs = 2 ** h.clusterBits;
    this.l2Entries = this.cs / 8;
    this.refsPerBlock = this.cs / 2;
    this.l1View = viewOf(l1);
    this.refTable = refTable;
    this.refView = viewOf(refTable);
    this.refTableOffset = h.refcountTableOffset;
    this.openEnd = roundUp(fileSize, this.cs);
    this.fileEnd = this.openEnd;
    this.l2CacheMax = Math.max(4, L2_CACHE_BYTES / this.cs);
    this.refCacheMax = Math.max(4, REFBLOCK_CACHE_BYTES / this.cs);
    this.markMeta(0, this.cs, "header");
    this.markMeta(h.l1Offset, h.l1Size * 8, "L1 table");
    this.markMeta(h.refcountTableOffset, refTable.length, "refcount table");
    // Pointers beyond the end are left out: checkCluster refuses them.
    for (let i = 0; i < this.refTableEntries(); i++) {
      if (this.refTableEntry(i) < this.openEnd) this.markMeta(this.refTableEntry(i), 1, "refcount block");
    }
    for (let i = 0; i < h.l1Size; i++) {
      if (entryOffset(this.l1View, i) < this.openEnd) this.markMeta(entryOffset(this.l1View, i), 1, "L2 table");
    }
  }

  get sizeBytes(): number {
    return this.h.sizeBytes;
  }

  static async load(path: string, readOnly: boolean, fh: FileHandle, opener: BackingOpener): Promise<Qcow2Image> {
    const fileSize = (await fh.stat()).size;
    const prefix = await readFully(fh, new Uint8Array(Math.min(fileSize, 24)), 0);
    const clusterBits = checkIdentity(path, prefix, fileSize);
    const cluster0 = await readFully(fh, new Uint8Array(Math.min(fileSize, 2 ** clusterBits)), 0);
    const h = parseHeader(path, cluster0, fileSize);
    if (!readOnly) refuseWriting(path, h);
    const l1 = await readFully(fh, new Uint8Array(h.l1Size * 8), h.l1Offset);
    const refTable = await readFully(fh, new Uint8Array(h.refcountTableClusters * 2 ** clusterBits), h.refcountTableOffset);
    if (!readOnly && h.autoclear !== 0n) {
      // The spec lets a writer keep going only after clearing the autoclear bits it does not
      // maintain (bitmaps would go stale as we write).
      await writeFully(fh, new Uint8Array(8), OFF_AUTOCLEAR);
    }
    let backing: BlockImage | undefined;
    if (h.backingFile !== undefined) {
      const file = isAbsolute(h.backingFile) ? h.backingFile : resolve(dirname(path), h.backingFile);
      try {
        backing = await opener(file, h.backingFormat ?? (await probeFormat(file)));
      } catch (e) {
        throw new ImageError(`${path}: cannot open backing file ${file}: ${(e as Error).message}`);
      }
    }
    return new Qcow2Image(path, readOnly, fh, h, l1, refTable, fileSize, backing);
  }

  async read(buf: Uint8Array, offset: number): Promise<void> {
    this.checkRequest(buf, offset);
    const jobs: Promise<unknown>[] = [];
    // Neighbouring pieces that continue each other on the host (or in the backing file) are
    // read with one call.
    let run: { kind: Kind; from: number; pos: number; len: number } | undefined;
    const endRun = () => {
      if (run === undefined) return;
      const dst = buf.subarray(run.pos, run.pos + run.len);
      jobs.push(run.kind === "data" ? readFully(this.fh, dst, run.from) : this.readBacking(dst, run.from));
      run = undefined;
    };
    for (const p of await this.pieces(offset, buf.length)) {
      const { m } = p;
      const from = m.kind === "data" ? m.host + (p.guest % this.cs) : p.guest;
      if (run !== undefined && run.kind === m.kind && run.from + run.len === from) {
        run.len += p.len;
        continue;
      }
      endRun();
      if (m.kind === "data" || m.kind === "unallocated") run = { kind: m.kind, from, pos: p.pos, len: p.len };
      else if (m.kind === "zero") buf.fill(0, p.pos, p.pos + p.len);
      else {
        jobs.push(
          this.inflate(m, p.guest).then((data) => {
            const at = p.guest % this.cs;
            buf.set(data.subarray(at, at + p.len), p.pos);
          }),
        );
      }
    }
    endRun();
    await Promise.all(jobs);
  }

  async write(buf: Uint8Array, offset: number): Promise<void> {
    if (this.readOnly) throw new ImageError(`${this.path}: the image is open read-only`);
    this.checkRequest(buf, offset);
    const pieces = await this.pieces(offset, buf.length);
    // The common case, clusters already ours, needs no metadata change and so no lock: only
    // batches change mappings, and never those of clusters that are already ours.
    if (pieces.every(writableInPlace)) return this.writeSegments(buf, pieces.map((p) => this.inPlace(p)));
    return new Promise((resolve, reject) => {
      this.queue.push({ buf, offset, resolve, reject });
      // Whoever makes the queue non-empty starts a batch; one that leaves writes behind, another.
      if (this.queue.length === 1) void this.locked(() => this.writeBatch());
    });
  }

  async flush(): Promise<void> {
    await this.fh.datasync();
  }

  async close(): Promise<void> {
    // A batch that leaves writes queued chains the next one before it ends.
    for (let tail = this.lockTail; ; tail = this.lockTail) {
      await tail;
      if (tail === this.lockTail) break;
    }
    await this.fh.close();
    await this.backing?.close();
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lockTail.then(fn);
    this.lockTail = run.catch(() => {});
    return run;
  }

  private checkRequest(buf: Uint8Array, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + buf.length > this.sizeBytes) {
      throw new RangeError(`${this.path}: request of ${buf.length} bytes at ${offset} is outside the disk (${this.sizeBytes} bytes)`);
    }
  }

  /** Takes queued writes, in order, while they touch clusters distinct from each other's (up to
   * BATCH_MAX), and writes them with one allocation and one round of metadata writes. Under the
   * lock, so mappings are looked up afresh: another batch may have allocated them meanwhile. */
  private async writeBatch(): Promise<void> {
    const batch: Array<{ w: QueuedWrite; pieces: Piece[] }> = [];
    const claimed = new Set<number>(); // guest clusters the batch maps
    while (this.queue.length > 0 && batch.length < BATCH_MAX) {
      const w = this.queue[0];
      let pieces: Piece[];
      try {
        pieces = await this.pieces(w.offset, w.buf.length);
        for (const i of new Set(pieces.filter((p) => !writableInPlace(p)).map((p) => this.l1Index(p.guest)))) {
          if (this.l2Offset(i) !== 0 && (this.l1View.getUint32(i * 8) & HI_COPIED) === 0) await this.claimL2(i);
        }
      } catch (e) {
        this.queue.shift();
        w.reject(e);
        continue;
      }
      if (pieces.some((p) => claimed.has(this.clusterIndex(p.guest)))) break;
      this.queue.shift();
      for (const p of pieces) if (!writableInPlace(p)) claimed.add(this.clusterIndex(p.guest));
      batch.push({ w, pieces });
    }
    if (this.queue.length > 0) void this.locked(() => this.writeBatch());
    try {
      await this.writeMapping(batch);
      for (const { w } of batch) w.resolve();
    } catch (e) {
      for (const { w } of batch) w.reject(e);
    }
  }

  private async writeMapping(batch: Array<{ w: QueuedWrite; pieces: Piece[] }>): Promise<void> {
    const moving = batch.flatMap(({ pieces }) => pieces.filter((p) => !writableInPlace(p)));
    const l1Indexes = [...new Set(moving.map((p) => this.l1Index(p.guest)))];
    const newTables = l1Indexes.filter((i) => this.l2Offset(i) === 0);
    const { base, refcounts } = moving.length === 0 ? { base: 0, refcounts: Promise.resolve() } : await this.allocate(moving.length + newTables.length);
    const hostOf = new Map(moving.map((p, k) => [p, base + k * this.cs]));
    for (const [p, host] of hostOf) this.setOwner(host, this.clusterIndex(p.guest));

    // 1. The data, while the refcounts are written: whole clusters straight from the buffer,
    // partial ones merged with what the cluster held before (backing file, decompressed or
    // shared data). New clusters lie past the old end of the file, so where that was zeros,
    // the request's bytes alone will do.
    const jobs: Promise<unknown>[] = [refcounts];
    for (const { w, pieces } of batch) {
      const segments: Array<{ host: number; pos: number; len: number }> = [];
      for (const p of pieces) {
        const host = hostOf.get(p);
        const at = p.guest % this.cs;
        if (host === undefined) segments.push(this.inPlace(p));
        else if (p.len === this.cs || this.readsAsZeros(p.m, p.guest - at)) segments.push({ host: host + at, pos: p.pos, len: p.len });
        else jobs.push(this.writeMerged(w.buf, p, host));
      }
      jobs.push(this.writeSegments(w.buf, segments));
    }
    await Promise.all(jobs);

    // 2. The L2 entries (new tables written whole, then pointed at from L1).
    await Promise.all(
      l1Indexes.map((i) => {
        const entries = moving.filter((p) => this.l1Index(p.guest) === i).map((p) => ({ p, host: hostOf.get(p)! }));
        const k = newTables.indexOf(i);
        return k < 0 ? this.mapInTable(i, entries) : this.mapInNewTable(i, entries, base + (moving.length + k) * this.cs);
      }),
    );

    // 3. The references the write dropped.
    const released: Array<[number, number]> = [];
    for (const { m } of moving) {
      if (m.kind === "compressed") released.push([m.host - (m.host % SECTOR), m.bytes + (m.host % SECTOR)]);
      else if (m.host !== 0) released.push([m.host, this.cs]);
    }
    if (released.length > 0) await this.release(released);
  }

  private inPlace(p: Piece): { host: number; pos: number; len: number } {
    return { host: p.m.host + (p.guest % this.cs), pos: p.pos, len: p.len };
  }

  /** Writes buffer ranges to the file, joining those that continue each other. */
  private async writeSegments(buf: Uint8Array, segments: Array<{ host: number; pos: number; len: number }>): Promise<void> {
    const joined: typeof segments = [];
    for (const s of segments) {
      const last = joined[joined.length - 1];
      if (last !== undefined && last.host + last.len === s.host && last.pos + last.len === s.pos) last.len += s.len;
      else joined.push({ ...s });
    }
    await Promise.all(joined.map((s) => writeFully(this.fh, buf.subarray(s.pos, s.pos + s.len), s.host)));
  }

  /** Copy-on-write of one cluster the request covers only partly. */
  private async writeMerged(buf: Uint8Array, p: Piece, host: number): Promise<void> {
    const at = p.guest % this.cs;
    const cluster = await this.contents(p.m, p.guest - at);
    cluster.set(buf.subarray(p.pos, p.pos + p.len), at);
    await writeFully(this.fh, cluster, host);
  }

  private readsAsZeros(m: Mapping, clusterGuest: number): boolean {
    return m.kind === "zero" || (m.kind === "unallocated" && (this.backing === undefined || clusterGuest >= this.backing.sizeBytes));
  }

  /** What a guest cluster reads as now, as a fresh buffer. */
  private async contents(m: Mapping, guest: number): Promise<Uint8Array> {
    if (m.kind === "compressed") return this.inflate(m, guest);
    const cluster = new Uint8Array(this.cs);
    if (m.kind === "data") await readFully(this.fh, cluster, m.host);
    else if (m.kind === "unallocated") await this.readBacking(cluster, guest);
    return cluster;
  }

  private async readBacking(dst: Uint8Array, guest: number): Promise<void> {
    // The backing disk may be smaller than this one: beyond its end, zeros.
    const have = this.backing === undefined ? 0 : Math.max(0, Math.min(dst.length, this.backing.sizeBytes - guest));
    if (have > 0) await this.backing!.read(dst.subarray(0, have), guest);
    dst.fill(0, have);
  }

  private async inflate(m: Mapping, guest: number): Promise<Uint8Array> {
    const packed = await readFully(this.fh, new Uint8Array(m.bytes), m.host);
    let data: Uint8Array;
    try {
      // QEMU's stream may end without a final block once the cluster is full (Z_SYNC_FLUSH
      // accepts that); bytes after it belong to the next compressed cluster.
      data = inflateRawSync(packed, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: this.cs });
    } catch (e) {
      throw this.damagedL2(guest, `compressed data at 0x${m.host.toString(16)} does not inflate (${(e as Error).message})`);
    }
    if (data.length !== this.cs) throw this.damagedL2(guest, `compressed data at 0x${m.host.toString(16)} inflates to ${data.length} bytes, not a cluster`);
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }

  /** Every guest cluster [offset, offset+length) touches, with its mapping. */
  private async pieces(offset: number, length: number): Promise<Piece[]> {
    const out: Piece[] = [];
    let pos = 0;
    while (pos < length) {
      const l1i = this.l1Index(offset + pos);
      const cached = this.l2Table(l1i);
      const table = cached instanceof Promise ? await cached : cached;
      const tableEnd = (l1i + 1) * this.l2Entries * this.cs;
      while (pos < length && offset + pos < tableEnd) {
        const guest = offset + pos;
        const len = Math.min(this.cs - (guest % this.cs), length - pos);
        out.push({ m: table === undefined ? UNALLOCATED : this.mapping(table, guest), guest, pos, len });
        pos += len;
      }
    }
    return out;
  }

  private clusterIndex(guest: number): number {
    return Math.floor(guest / this.cs);
  }

  private l1Index(guest: number): number {
    return Math.floor(guest / this.cs / this.l2Entries);
  }

  private l2Index(guest: number): number {
    return Math.floor(guest / this.cs) % this.l2Entries;
  }

  /** The L2 table's offset from L1 entry `i` (0: none), checked. */
  private l2Offset(i: number): number {
    const v = this.l1View;
    const hi = v.getUint32(i * 8);
    const lo = v.getUint32(i * 8 + 4);
    const offset = entryOffset(v, i);
    if (offset === 0) return 0;
    const bad = (why: string) => new ImageError(`${this.path}: L1 entry ${i} (L2 table at 0x${offset.toString(16)}) ${why}`);
    if ((hi & L1_RESERVED_HI) !== 0 || (lo & 0x1ff) !== 0) throw bad("has reserved bits set");
    this.checkCluster(offset, "L2 table", bad);
    return offset;
  }

  /** A table or block pointer must be a cluster where we expect that kind of metadata (the
   * map was built from the same pointers, and gets the tables and blocks we add). */
  private checkCluster(offset: number, kind: string, bad: (why: string) => ImageError): void {
    if (offset % this.cs !== 0) throw bad("is not cluster-aligned");
    const there = this.meta.get(offset / this.cs);
    if (there === kind) return;
    throw bad(`points ${there === undefined ? this.beyondEnd() : `into the ${there}`}`);
  }

  private beyondEnd(): string {
    return `beyond the end of the file (${this.openEnd} bytes when opened)`;
  }

  private setOwner(host: number, guestCluster: number): void {
    const i = (host - this.openEnd) / this.cs;
    if (i >= this.owners.length) {
      const grown = new Float64Array(Math.max(1024, 2 * i));
      grown.set(this.owners);
      this.owners = grown;
    }
    this.owners[i] = guestCluster + 1;
  }

  /** The L2 table of L1 entry `i` (undefined: none), without waiting when it is cached. */
  private l2Table(i: number): Table | Promise<Table> | undefined {
    const offset = this.l2Offset(i);
    if (offset === 0) return undefined;
    const hit = this.l2Cache.get(i);
    if (hit !== undefined) {
      this.l2Cache.delete(i);
      this.l2Cache.set(i, hit);
      return hit;
    }
    const loading: Promise<Table> = readFully(this.fh, new Uint8Array(this.cs), offset).then((bytes) => {
      const table = { offset, bytes, view: viewOf(bytes) };
      if (this.l2Cache.get(i) === loading) this.l2Cache.set(i, table);
      return table;
    });
    this.cacheL2(i, loading);
    loading.catch(() => {
      if (this.l2Cache.get(i) === loading) this.l2Cache.delete(i);
    });
    return loading;
  }

  private cacheL2(i: number, table: Table | Promise<Table>): void {
    this.l2Cache.delete(i);
    this.l2Cache.set(i, table);
    if (this.l2Cache.size > this.l2CacheMax) this.l2Cache.delete(this.l2Cache.keys().next().value!);
  }

  /** Decodes and checks the L2 entry for the cluster holding `guest`. */
  private mapping(t: Table, guest: number): Mapping {
    const i = this.l2Index(guest);
    const hi = t.view.getUint32(i * 8);
    const lo = t.view.getUint32(i * 8 + 4);
    if (hi === 0 && lo === 0) return UNALLOCATED;
    const copied = (hi & HI_COPIED) !== 0;
    if ((hi & HI_COMPRESSED) !== 0) {
      if (copied) throw this.damagedL2(guest, "is compressed and marked copied");
      // Compressed: the low 62-(cluster_bits-8) bits are the byte offset, the rest above it
      // the number of 512-byte sectors after the first.
      const shift = BigInt(70 - this.h.clusterBits);
      const word = ((BigInt(hi & 0x3fffffff) << 32n) | BigInt(lo));
      const host = Number(word & ((1n << shift) - 1n));
      const sectors = Number(word >> shift) + 1;
      const bytes = sectors * SECTOR - (host % SECTOR);
      // We never write compressed data, so it all predates the open.
      if (host < this.cs || host + bytes > this.openEnd) throw this.damagedL2(guest, `points at compressed data 0x${host.toString(16)}+${bytes} outside the file's data area`);
      return { kind: "compressed", host, copied: false, bytes };
    }
    const host = (hi & HI_OFFSET) * TWO32 + ((lo & LO_OFFSET) >>> 0);
    if ((hi & L2_RESERVED_HI) !== 0 || (lo & L2_RESERVED_LO) !== 0) throw this.damagedL2(guest, "has reserved bits set");
    const zero = (lo & LO_ZERO) !== 0;
    if (zero && this.h.version < 3) throw this.damagedL2(guest, "has the zero flag, which version 2 does not have");
    if (host === 0 && !zero) throw this.damagedL2(guest, "points at offset 0");
    if (host !== 0) {
      const at = `points at 0x${host.toString(16)}`;
      if (host % this.cs !== 0) throw this.damagedL2(guest, `${at}, which is not cluster-aligned`);
      const there = this.meta.get(host / this.cs);
      if (there !== undefined) throw this.damagedL2(guest, `${at}, inside the ${there}`);
      // Beyond the old end, only the cluster allocated for this very entry will do: anything
      // else was dangling when opened and now lands on someone else's cluster.
      if (host >= this.openEnd && (zero || this.owners[(host - this.openEnd) / this.cs] !== Math.floor(guest / this.cs) + 1)) {
        throw this.damagedL2(guest, `${at}, ${this.beyondEnd()}`);
      }
    }
    return { kind: zero ? "zero" : "data", host, copied, bytes: this.cs };
  }

  private damagedL2(guest: number, why: string): ImageError {
    return new ImageError(`${this.path}: the L2 entry for guest offset 0x${(guest - (guest % this.cs)).toString(16)} ${why}`);
  }

  /** Writing into an L2 table its L1 entry does not mark as ours: fine if nothing else
   * references it (then the mark was just missing), refused if it is shared. */
  private async claimL2(i: number): Promise<void> {
    const offset = this.l2Offset(i);
    const refs = await this.refcount(offset);
    if (refs !== 1) throw new ImageError(`${this.path}: the L2 table at 0x${offset.toString(16)} is shared (refcount ${refs}); copying L2 tables on write is not supported`);
    this.l1View.setUint32(i * 8, this.l1View.getUint32(i * 8) | HI_COPIED);
    await writeFully(this.fh, this.l1.subarray(i * 8, i * 8 + 8), this.h.l1Offset + i * 8);
  }

  private async mapInTable(i: number, entries: Array<{ p: Piece; host: number }>): Promise<void> {
    const t = await this.l2Table(i);
    let first = this.l2Entries;
    let last = -1;
    for (const { p, host } of entries) {
      const k = this.l2Index(p.guest);
      setEntry(t!.view, k, host, HI_COPIED);
      first = Math.min(first, k);
      last = Math.max(last, k);
    }
    await writeFully(this.fh, t!.bytes.subarray(first * 8, (last + 1) * 8), t!.offset + first * 8);
    // The table may have been evicted and re-read from the file before our write: put the
    // updated copy back so nobody keeps a stale one.
    this.cacheL2(i, t!);
  }

  private async mapInNewTable(i: number, entries: Array<{ p: Piece; host: number }>, offset: number): Promise<void> {
    const bytes = new Uint8Array(this.cs);
    const t = { offset, bytes, view: viewOf(bytes) };
    for (const { p, host } of entries) setEntry(t.view, this.l2Index(p.guest), host, HI_COPIED);
    await writeFully(this.fh, bytes, offset);
    this.meta.set(offset / this.cs, "L2 table");
    this.cacheL2(i, t);
    setEntry(this.l1View, i, offset, HI_COPIED);
    await writeFully(this.fh, this.l1.subarray(i * 8, i * 8 + 8), this.h.l1Offset + i * 8);
  }

  // Refcounts. Only ever changed under the lock.

  private refTableEntries(): number {
    return this.refTable.length / 8;
  }

  /** The refcount block offset in refcount table entry `i` (0: none, or beyond the table). */
  private refTableEntry(i: number): number {
    return i < this.refTableEntries() ? entryOffset(this.refView, i) : 0;
  }

  private async refBlock(i: number): Promise<Uint8Array | undefined> {
    let block = this.refCache.get(i);
    if (block !== undefined) {
      this.refCache.delete(i);
      this.refCache.set(i, block);
      return block;
    }
    const offset = this.refTableEntry(i);
    if (offset === 0) return undefined;
    const lo = this.refView.getUint32(i * 8 + 4);
    const bad = (why: string) => new ImageError(`${this.path}: refcount table entry ${i} (refcount block at 0x${offset.toString(16)}) ${why}`);
    if ((lo & 0x1ff) !== 0) throw bad("has reserved bits set");
    this.checkCluster(offset, "refcount block", bad);
    block = await readFully(this.fh, new Uint8Array(this.cs), offset);
    this.cacheRefBlock(i, block);
    return block;
  }

  private cacheRefBlock(i: number, block: Uint8Array): void {
    this.refCache.set(i, block);
    if (this.refCache.size > this.refCacheMax) this.refCache.delete(this.refCache.keys().next().value!);
  }

  private async refcount(offset: number): Promise<number> {
    const c = offset / this.cs;
    const block = await this.refBlock(Math.floor(c / this.refsPerBlock));
    return block === undefined ? 0 : viewOf(block).getUint16((c % this.refsPerBlock) * 2);
  }

  /** Reserves `n` clusters at the end of the file with refcount 1: returns the first one's offset
   * at once, and `refcounts`, the writes that put the counts in the file.
   * Refcount blocks the new clusters need go right after them (counting themselves), and if the
   * refcount table is full, a bigger copy after those. */
  private async allocate(n: number): Promise<{ base: number; refcounts: Promise<void> }> {
    const cs = this.cs;
    const per = this.refsPerBlock;
    const start = this.fileEnd / cs;
    const firstBlock = Math.floor(start / per);
    let newBlockCount = 0;
    let tableClusters = 0;
    let end: number;
    // Each new block or table cluster needs a refcount too, possibly in another new block.
    for (;;) {
      end = start + n + newBlockCount + tableClusters;
      let missing = 0;
      for (let i = firstBlock; i <= Math.floor((end - 1) / per); i++) if (this.refTableEntry(i) === 0) missing++;
      const needed = Math.floor((end - 1) / per) + 1;
      const grown = needed > this.refTableEntries() ? Math.ceil((Math.max(needed, 2 * this.refTableEntries()) * 8) / cs) : 0;
      if (missing === newBlockCount && grown === tableClusters) break;
      newBlockCount = missing;
      tableClusters = grown;
    }
    const lastBlock = Math.floor((end - 1) / per);
    this.fileEnd = end * cs;

    // Blocks covering [start, end), by refcount table index, with the offset of those that are new.
    const blocks: Array<{ i: number; block: Uint8Array; fresh?: number }> = [];
    let next = start + n;
    for (let i = firstBlock; i <= lastBlock; i++) {
      if (this.refTableEntry(i) === 0) blocks.push({ i, block: new Uint8Array(cs), fresh: (next++) * cs });
      else blocks.push({ i, block: (await this.refBlock(i))! });
    }
    for (const { i, block } of blocks) {
      const v = viewOf(block);
      for (let c = Math.max(start, i * per); c < Math.min(end, (i + 1) * per); c++) v.setUint16((c - i * per) * 2, 1);
    }
    const refcounts = this.storeRefcounts(blocks, start, end, next * cs, tableClusters);
    refcounts.catch(() => {}); // the caller waits for it along with its data writes
    return { base: start * cs, refcounts };
  }

  /** Writes what allocate() counted: the blocks' changed entries, then pointers to the new blocks
   * in the refcount table, or if it must grow, a bigger copy at `tableOffset`. */
  private async storeRefcounts(blocks: Array<{ i: number; block: Uint8Array; fresh?: number }>, start: number, end: number, tableOffset: number, tableClusters: number): Promise<void> {
    const cs = this.cs;
    const per = this.refsPerBlock;
    await Promise.all(
      blocks.map(({ i, block, fresh }) => {
        if (fresh !== undefined) {
          this.meta.set(fresh / cs, "refcount block");
          this.cacheRefBlock(i, block);
          return writeFully(this.fh, block, fresh);
        }
        const from = (Math.max(start, i * per) - i * per) * 2;
        const to = (Math.min(end, (i + 1) * per) - i * per) * 2;
        return writeFully(this.fh, block.subarray(from, to), this.refTableEntry(i) + from);
      }),
    );
    const fresh = blocks.filter((b) => b.fresh !== undefined);
    if (fresh.length === 0) return;

    if (tableClusters === 0) {
      for (const b of fresh) setEntry(this.refView, b.i, b.fresh!, 0);
      const first = fresh[0].i;
      const last = fresh[fresh.length - 1].i;
      await writeFully(this.fh, this.refTable.subarray(first * 8, (last + 1) * 8), this.refTableOffset + first * 8);
      return;
    }

    // Grow the table: write the copy, switch the header to it, then free the old one.
    const table = new Uint8Array(tableClusters * cs);
    table.set(this.refTable);
    for (const b of fresh) setEntry(viewOf(table), b.i, b.fresh!, 0);
    await writeFully(this.fh, table, tableOffset);
    const pointer = new Uint8Array(12);
    viewOf(pointer).setBigUint64(0, BigInt(tableOffset));
    viewOf(pointer).setUint32(8, tableClusters);
    await writeFully(this.fh, pointer, OFF_REFCOUNT_TABLE);
    const old: [number, number] = [this.refTableOffset, this.refTable.length];
    for (let c = old[0] / cs; c < (old[0] + old[1]) / cs; c++) this.meta.delete(c);
    this.markMeta(tableOffset, table.length, "refcount table");
    this.refTable = table;
    this.refView = viewOf(table);
    this.refTableOffset = tableOffset;
    await this.release([old]);
  }

  /** Drops one reference to every cluster each [offset, length) range touches. */
  private async release(ranges: Array<[number, number]>): Promise<void> {
    const byBlock = new Map<number, number[]>();
    for (const [offset, length] of ranges) {
      for (let c = Math.floor(offset / this.cs); c * this.cs < offset + length; c++) {
        const i = Math.floor(c / this.refsPerBlock);
        const entries = byBlock.get(i) ?? [];
        entries.push(c % this.refsPerBlock);
        byBlock.set(i, entries);
      }
    }
    for (const [i, entries] of byBlock) {
      const block = await this.refBlock(i);
      if (block === undefined) continue; // already 0: nothing to drop
      const v = viewOf(block);
      let first = this.refsPerBlock;
      let last = -1;
      for (const k of entries) {
        v.setUint16(k * 2, Math.max(0, v.getUint16(k * 2) - 1));
        first = Math.min(first, k);
        last = Math.max(last, k);
      }
      await writeFully(this.fh, block.subarray(first * 2, (last + 1) * 2), this.refTableEntry(i) + first * 2);
    }
  }

  private markMeta(offset: number, length: number, kind: string): void {
    if (offset === 0 && kind !== "header") return;
    for (let c = Math.floor(offset / this.cs); c * this.cs < offset + length; c++) {
      if (!this.meta.has(c)) this.meta.set(c, kind);
    }
  }
}

function writableInPlace(p: Piece): boolean {
  return p.m.kind === "data" && p.m.copied;
}

/** Magic, version and cluster_bits: enough to know how much header to read. */
function checkIdentity(path: string, b: Uint8Array, fileSize: number): number {
  if (fileSize < V2_HEADER_BYTES) throw new ImageError(`${path}: the file (${fileSize} bytes) is too short for a qcow2 header`);
  const v = viewOf(b);
  const magic = v.getUint32(0);
  if (magic !== MAGIC) throw new ImageError(`${path}: magic is 0x${magic.toString(16)}, not QFI\\xfb: not a qcow2 image`);
  const version = v.getUint32(4);
  if (version !== 2 && version !== 3) throw new ImageError(`${path}: version is ${version}; only qcow2 versions 2 and 3 are supported`);
  const clusterBits = v.getUint32(20);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    throw new ImageError(`${path}: cluster_bits is ${clusterBits}, outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`);
  }
  return clusterBits;
}

/** Parses and checks the header in `c0` (the first cluster, or the whole file if shorter). */
function parseHeader(path: string, c0: Uint8Array, fileSize: number): Header {
  const clusterBits = checkIdentity(path, c0, fileSize);
  const fail = (field: string, why: string) => new ImageError(`${path}: ${field} ${why}`);
  const v = viewOf(c0);
  const cs = 2 ** clusterBits;
  const version = v.getUint32(4);
  const u64 = (at: number, field: string): number => {
    const x = v.getBigUint64(at);
    if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(field, `is 0x${x.toString(16)}, absurdly large`);
    return Number(x);
  };
  const aligned = (at: number, field: string): number => {
    const x = u64(at, field);
    if (x % cs !== 0) throw fail(field, `is 0x${x.toString(16)}, not aligned to the ${cs}-byte cluster`);
    return x;
  };

  let headerLength = V2_HEADER_BYTES;
  let incompatible = 0n;
  let autoclear = 0n;
  if (version === 3) {
    if (c0.length < V3_HEADER_BYTES) throw fail("header", `is cut short by the end of the file (${fileSize} bytes)`);
    incompatible = v.getBigUint64(72);
    autoclear = v.getBigUint64(88);
    const refcountOrder = v.getUint32(96);
    if (refcountOrder !== 4) {
      throw fail("refcount_order", `is ${refcountOrder} (${2 ** Math.min(refcountOrder, 64)}-bit refcounts); only 4 (16-bit refcounts) is supported`);
    }
    headerLength = v.getUint32(100);
    if (headerLength < V3_HEADER_BYTES || headerLength % 8 !== 0 || headerLength > c0.length) {
      throw fail("header_length", `is ${headerLength}; it must be a multiple of 8 from ${V3_HEADER_BYTES} to the cluster size, within the file`);
    }
  }

  const backingOffset = u64(8, "backing_file_offset");
  const backingSize = v.getUint32(16);
  const extensions = parseExtensions(path, c0, headerLength, backingOffset === 0 ? c0.length : Math.min(backingOffset, c0.length));

  const unknown = incompatible & ~INCOMPAT_KNOWN;
  if (unknown !== 0n) {
    const bit = unknown.toString(2).length - 1;
    const name = extensions.featureNames.get(bit);
    throw fail("incompatible_features", `has bit ${bit}${name ? ` ("${name}")` : ""}, a feature this implementation does not know`);
  }
  if (incompatible & INCOMPAT_DATA_FILE) throw fail("incompatible_features", "says the data is in an external data file, which is not supported");
  if (incompatible & INCOMPAT_EXTENDED_L2) throw fail("incompatible_features", "says the image has extended L2 entries (subclusters), which are not supported");
  if (incompatible & INCOMPAT_COMPRESSION) {
    const type = headerLength > 104 ? c0[104] : 0;
    throw fail("compression_type", `is ${type}${type === 1 ? " (zstd)" : ""} (incompatible feature bit 3); only zlib compression is supported`);
  }
  const crypt = v.getUint32(32);
  if (crypt !== 0) throw fail("crypt_method", `is ${crypt}${crypt === 1 ? " (AES)" : crypt === 2 ? " (LUKS)" : ""}: encrypted images are not supported`);

  const sizeBytes = u64(24, "size");
  const l1Size = v.getUint32(36);
  const l1Offset = aligned(40, "l1_table_offset");
  const needed = Math.ceil(sizeBytes / (cs * (cs / 8)));
  if (l1Size * 8 > MAX_L1_BYTES) throw fail("l1_size", `is ${l1Size}, more than the ${MAX_L1_BYTES / 8} entries allowed`);
  if (sizeBytes > MAX_L1_BYTES / 8 * cs * (cs / 8)) throw fail("size", `is ${sizeBytes}, too large for ${cs}-byte clusters`);
  if (l1Size < needed) throw fail("l1_size", `is ${l1Size}, too small for a ${sizeBytes}-byte disk (${needed} entries needed)`);
  if (l1Offset + l1Size * 8 > fileSize) {
    throw fail("l1_table_offset", `(0x${l1Offset.toString(16)}, ${l1Size} entries) puts the L1 table beyond the end of the file (${fileSize} bytes)`);
  }

  const refcountTableOffset = aligned(48, "refcount_table_offset");
  const refcountTableClusters = v.getUint32(56);
  if (refcountTableClusters === 0 || refcountTableClusters * cs > MAX_REFTABLE_BYTES) {
    throw fail("refcount_table_clusters", `is ${refcountTableClusters}; it must be 1..${MAX_REFTABLE_BYTES / cs}`);
  }
  if (refcountTableOffset + refcountTableClusters * cs > roundUp(fileSize, cs)) {
    throw fail("refcount_table_offset", `(0x${refcountTableOffset.toString(16)}, ${refcountTableClusters} clusters) puts the refcount table beyond the end of the file (${fileSize} bytes)`);
  }

  const snapshots = v.getUint32(60);
  const snapshotsOffset = aligned(64, "snapshots_offset");
  if (snapshots > MAX_SNAPSHOTS) throw fail("nb_snapshots", `is ${snapshots}, more than ${MAX_SNAPSHOTS}`);
  if (snapshots > 0 && snapshotsOffset >= fileSize) throw fail("snapshots_offset", `0x${snapshotsOffset.toString(16)} is beyond the end of the file (${fileSize} bytes)`);

  // The fixed metadata areas, in whole clusters, must not overlap.
  const areas: Array<[string, number, number]> = [["the header", 0, cs]];
  if (l1Size > 0) areas.push([`the L1 table (l1_table_offset 0x${l1Offset.toString(16)})`, l1Offset, l1Size * 8]);
  areas.push([`the refcount table (refcount_table_offset 0x${refcountTableOffset.toString(16)})`, refcountTableOffset, refcountTableClusters * cs]);
  if (snapshots > 0) areas.push([`the snapshot table (snapshots_offset 0x${snapshotsOffset.toString(16)})`, snapshotsOffset, 1]);
  for (let a = 0; a < areas.length; a++) {
    for (let b = a + 1; b < areas.length; b++) {
      const [nameA, startA, lenA] = areas[a];
      const [nameB, startB, lenB] = areas[b];
      if (startA < roundUp(startB + lenB, cs) && startB < roundUp(startA + lenA, cs)) throw new ImageError(`${path}: ${nameB} overlaps ${nameA}`);
    }
  }

  let backingFile: string | undefined;
  if (backingOffset !== 0) {
    if (backingSize === 0 || backingSize > MAX_BACKING_NAME) throw fail("backing_file_size", `is ${backingSize}; it must be 1..${MAX_BACKING_NAME}`);
    if (backingOffset + backingSize > c0.length) {
      throw fail("backing_file_offset", `(0x${backingOffset.toString(16)}, ${backingSize} bytes) puts the backing file name outside the first cluster`);
    }
    backingFile = new TextDecoder().decode(c0.subarray(backingOffset, backingOffset + backingSize));
  }

  return {
    version,
    clusterBits,
    sizeBytes,
    l1Size,
    l1Offset,
    refcountTableOffset,
    refcountTableClusters,
    snapshots,
    incompatible,
    autoclear,
    backingFile,
    backingFormat: extensions.backingFormat,
  };
}

/** The header extensions between the header and `end` (the backing file name, or the end of
 * the first cluster): only those we use are kept. */
function parseExtensions(path: string, c0: Uint8Array, start: number, end: number): { backingFormat?: string; featureNames: Map<number, string> } {
  const v = viewOf(c0);
  const featureNames = new Map<number, string>();
  let backingFormat: string | undefined;
  for (let at = start; at + 8 <= end; ) {
    const type = v.getUint32(at);
    const length = v.getUint32(at + 4);
    if (type === EXT_END) break;
    if (at + 8 + length > end) throw new ImageError(`${path}: header extension 0x${type.toString(16)} at ${at} (${length} bytes) runs past the header area`);
    const data = c0.subarray(at + 8, at + 8 + length);
    if (type === EXT_BACKING_FORMAT) backingFormat = new TextDecoder().decode(data);
    if (type === EXT_FEATURE_NAMES) {
      for (let e = 0; e + 48 <= data.length; e += 48) {
        if (data[e] !== 0) continue; // only incompatible features' names are used (for errors)
        const name = data.subarray(e + 2, e + 48);
        const nul = name.indexOf(0);
        featureNames.set(data[e + 1], new TextDecoder().decode(nul < 0 ? name : name.subarray(0, nul)));
      }
    }
    at += 8 + roundUp(length, 8);
  }
  return { backingFormat, featureNames };
}

function refuseWriting(path: string, h: Header): void {
  const why =
    h.incompatible & INCOMPAT_DIRTY
      ? "is dirty (lazy refcounts were not written back; qemu-img check -r all repairs it)"
      : h.incompatible & INCOMPAT_CORRUPT
        ? "is marked corrupt (qemu-img check -r all may repair it)"
        : h.snapshots > 0
          ? `has ${h.snapshots} internal snapshot(s), whose shared clusters would need copy-on-write of L2 tables`
          : undefined;
  if (why !== undefined) throw new ImageError(`${path}: ${why}; it can only be opened read-only`);
}

/** Makes a qcow2 v3 image of `sizeBytes` (a multiple of 512), all unallocated; refuses to overwrite.
 * Layout: header, refcount table, refcount blocks, L1 table. */
export async function createQcow2Image(
  path: string,
  sizeBytes: number,
  options: { backingFile?: string; backingFormat?: "raw" | "qcow2"; clusterBits?: number } = {},
): Promise<void> {
  const fail = (why: string) => new ImageError(`cannot create disk image ${path}: ${why}`);
  const clusterBits = options.clusterBits ?? DEFAULT_CLUSTER_BITS;
  if (!Number.isInteger(clusterBits) || clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    throw fail(`clusterBits ${clusterBits} is outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`);
  }
  const cs = 2 ** clusterBits;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0 || sizeBytes % 512 !== 0) throw fail(`size ${sizeBytes} is not a multiple of 512 bytes`);
  const l1Size = Math.ceil(sizeBytes / (cs * (cs / 8)));
  if (l1Size * 8 > MAX_L1_BYTES) throw fail(`size ${sizeBytes} is too large for ${cs}-byte clusters`);
  const l1Clusters = Math.ceil((l1Size * 8) / cs);

  let backingName: Uint8Array | undefined;
  let backingFormat: Uint8Array | undefined;
  if (options.backingFile !== undefined) {
    const file = isAbsolute(options.backingFile) ? options.backingFile : resolve(dirname(path), options.backingFile);
    let probed: string;
    try {
      probed = await probeFormat(file);
    } catch (e) {
      throw fail(`cannot open backing file ${file}: ${(e as Error).message}`);
    }
    backingName = new TextEncoder().encode(options.backingFile);
    backingFormat = new TextEncoder().encode(options.backingFormat ?? probed);
    if (backingName.length === 0 || backingName.length > MAX_BACKING_NAME) throw fail(`the backing file name must be 1..${MAX_BACKING_NAME} bytes`);
  }

  // Refcount blocks cover the metadata including themselves, and the table covers the blocks.
  let blocks = 1;
  let tableClusters = 1;
  for (;;) {
    const total = 1 + tableClusters + blocks + l1Clusters;
    const b = Math.ceil(total / (cs / 2));
    const t = Math.ceil((b * 8) / cs);
    if (b === blocks && t === tableClusters) break;
    blocks = b;
    tableClusters = t;
  }
  const total = 1 + tableClusters + blocks + l1Clusters;
  const file = new Uint8Array(total * cs);
  const v = viewOf(file);
  const l1Offset = (1 + tableClusters + blocks) * cs;
  v.setUint32(0, MAGIC);
  v.setUint32(4, 3);
  v.setUint32(20, clusterBits);
  v.setBigUint64(24, BigInt(sizeBytes));
  v.setUint32(36, l1Size);
  v.setBigUint64(40, BigInt(l1Offset));
  v.setBigUint64(OFF_REFCOUNT_TABLE, BigInt(cs));
  v.setUint32(56, tableClusters);
  v.setUint32(96, 4); // refcount_order: 16-bit refcounts
  const headerLength = 112; // with compression_type (0: zlib) and padding, as QEMU writes it
  v.setUint32(100, headerLength);
  let at = headerLength;
  if (backingName !== undefined && backingFormat !== undefined) {
    v.setUint32(at, EXT_BACKING_FORMAT);
    v.setUint32(at + 4, backingFormat.length);
    file.set(backingFormat, at + 8);
    at += 8 + roundUp(backingFormat.length, 8);
  }
  at += 8; // EXT_END
  if (backingName !== undefined) {
    if (at + backingName.length > cs) throw fail(`the backing file name does not fit in a ${cs}-byte header cluster`);
    v.setBigUint64(8, BigInt(at));
    v.setUint32(16, backingName.length);
    file.set(backingName, at);
  }
  for (let b = 0; b < blocks; b++) setEntry(v, cs / 8 + b, (1 + tableClusters + b) * cs, 0);
  for (let c = 0; c < total; c++) v.setUint16((1 + tableClusters) * cs + c * 2, 1);

  let fh: FileHandle;
  try {
    fh = await open(path, "wx");
  } catch (e) {
    throw fail((e as Error).message);
  }
  try {
    await writeFully(fh, file, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** Bits 9-55 of table entry `i`: the cluster offset an L1, L2 or refcount table entry holds. */
function entryOffset(v: DataView, i: number): number {
  return (v.getUint32(i * 8) & HI_OFFSET) * TWO32 + ((v.getUint32(i * 8 + 4) & LO_OFFSET) >>> 0);
}

function setEntry(v: DataView, i: number, offset: number, hiFlags: number): void {
  v.setUint32(i * 8, (hiFlags | Math.floor(offset / TWO32)) >>> 0);
  v.setUint32(i * 8 + 4, offset % TWO32);
}



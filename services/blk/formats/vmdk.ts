// VMDK disk images (VMware's format, also written by qemu-img and VirtualBox). A VMDK disk is a
// list of extents, each a stretch of the disk kept in one file:
//   - FLAT extents are raw: sector n of the extent is sector offset+n of its file;
//   - SPARSE extents ("hosted sparse", magic KDMV) hold only the grains (64 KiB by default) that
//     were written, found through a two-level table: the grain directory (GD) points at grain
//     tables (GTs), whose entries point at grains. A redundant copy (RGD and its own GTs) is kept
//     in step, as VMware and QEMU do.
// monolithicSparse is one sparse file that embeds its descriptor; monolithicFlat, twoGbMaxExtent*
// and vmfs have a descriptor file (see vmdk-descriptor.ts) listing the extent files next to it.
// Layout facts: VMware's Virtual Disk Format 1.1 and QEMU's block/vmdk.c.
//
// Grain tables are a write-back cache, like the L2 cache of QEMU's qcow2: a new grain's data is
// written at once, its table entry only at the next flush and after an fdatasync, so no entry on
// the disk ever points at data that is not there. The guest sees a volatile write cache (virtio-blk
// offers FLUSH), so writes it has not flushed may be lost if the host fails, never garbled.

import { randomInt } from "node:crypto";
import { open, realpath, type FileHandle } from "node:fs/promises";
import { basename, dirname, relative, resolve, sep } from "node:path";
import { createImageFile, readFully, writeFully } from "./file-io.js";
import { ImageError, type BlockImage } from "../image.js";
import { MAX_SECTORS, parseVmdkDescriptor, type ExtentLine, type VmdkDescriptor } from "./vmdk-descriptor.js";

const SECTOR = 512;
const KDMV = 0x564d444b; // "KDMV" read as a little-endian word
const COWD = 0x44574f43; // "COWD": the ESX 2 sparse format
const GD_AT_END = 0xffffffffffffffffn; // streamOptimized: the real header is a footer
const FLAG_NL_DETECT = 1 << 0;
const FLAG_RGD = 1 << 1;
const FLAG_ZERO_GRAIN = 1 << 2; // a grain table entry of 1 means "all zeros"
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const GTE_ZEROED = 1;
/** Grains larger than 1 MiB are not made by VMware or QEMU, and would each cost that much to allocate. */
const MAX_GRAIN_SECTORS = 2048;
/** Embedded descriptors are 10 KiB in practice; descriptor files are a few hundred bytes. */
const MAX_DESCRIPTOR_BYTES = 1 << 20;
/** 512 grain tables of 512 entries (1 MiB) map 16 GiB of 64 KiB grains. */
const CACHED_TABLES = 512;
/** Grain table entries are 32-bit sector numbers, so a sparse extent file ends before 2 TiB. */
const MAX_EXTENT_FILE_SECTORS = 2 ** 32;

const SUPPORTED_CREATE_TYPES = ["monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat", "vmfs"];

/** Where `length` bytes of the disk are: at `pos` in `file`, or nowhere (zeros) when file is null. */
interface Span {
  file: FileHandle | null;
  pos: number;
  length: number;
}

interface Extent {
  /** The extent's file, after symlinks. */
  readonly file: string;
  /** Its size in bytes. */
  readonly length: number;
  /** Where the extent's bytes [offset, offset + length) are, in order. */
  spans(offset: number, length: number): Promise<Span[]>;
  write(buf: Uint8Array, offset: number): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function openVmdkImage(path: string, readOnly: boolean): Promise<BlockImage> {
  const { magic, text } = await sniff(path);
  const extents = magic === KDMV ? [await openMonolithicSparse(path, readOnly)] : await openDescriptorFile(path, magic, text, readOnly);
  return new VmdkImage(path, readOnly, extents);
}

/** The file's first word and, if it may be a descriptor file, its text. */
async function sniff(path: string): Promise<{ magic: number; text: string }> {
  const { fh, size } = await openFile(path, true);
  try {
    const head = new Uint8Array(Math.min(size, 4));
    await readFully(fh, head, 0);
    const magic = head.length === 4 ? new DataView(head.buffer).getUint32(0, true) : 0;
    if (magic === KDMV || size > MAX_DESCRIPTOR_BYTES) return { magic, text: "" };
    const bytes = new Uint8Array(size);
    await readFully(fh, bytes, 0);
    return { magic, text: cString(bytes) };
  } finally {
    await fh.close();
  }
}

/** A monolithicSparse disk: one sparse extent whose descriptor is embedded in it. */
async function openMonolithicSparse(path: string, readOnly: boolean): Promise<Extent> {
  const extent = await SparseExtent.open(path, readOnly);
  try {
    const text = await extent.embeddedDescriptor();
    if (text.trim() === "") {
      throw new ImageError(`${path} has no embedded descriptor: it looks like one extent of a split (twoGbMaxExtentSparse) disk; open the disk's descriptor .vmdk instead`);
    }
    const where = `${path} (embedded descriptor)`;
    checkDisk(parseVmdkDescriptor(text, where), where, path, ["monolithicSparse"]);
    return extent;
  } catch (e) {
    await extent.close();
    throw e;
  }
}

/** A descriptor file naming the extent files, which must lie in its folder. */
async function openDescriptorFile(path: string, magic: number, text: string, readOnly: boolean): Promise<Extent[]> {
  if (magic === COWD) throw new ImageError(`${path} is an ESX 2 (COWD) sparse VMDK, which is not supported; convert it: qemu-img convert -O vmdk ${path} new.vmdk`);
  // A descriptor starts with a comment or a setting; anything else is not a VMDK at all.
  if (!/^\s*(#|[A-Za-z][\w.]*\s*=)/.test(text)) {
    throw new ImageError(`${path} is not a VMDK image: it has neither the KDMV magic of a sparse extent nor a text descriptor`);
  }
  const desc = parseVmdkDescriptor(text, path);
  checkDisk(desc, path, path, SUPPORTED_CREATE_TYPES);

  const extents: Extent[] = [];
  try {
    let total = 0;
    for (const line of desc.extents) {
      total += line.sectors;
      if (total > MAX_SECTORS) throw new ImageError(`${path}: the extents add up to more than ${MAX_SECTORS} sectors`);
      extents.push(await openExtent(path, line, readOnly));
    }
    // Extents sharing a sparse file would each allocate grains at its end, over each other's.
    for (const x of extents) {
      if (x instanceof SparseExtent && extents.some((y) => y !== x && y.file === x.file)) {
        throw new ImageError(`${path}: the sparse extent file ${x.file} is named by more than one extent`);
      }
    }
  } catch (e) {
    await Promise.all(extents.map((x) => x.close()));
    throw e;
  }
  return extents;
}

/** Refusals that depend on the descriptor's settings rather than on its extents. */
function checkDisk(desc: VmdkDescriptor, where: string, path: string, createTypes: string[]): void {
  if (desc.createType === "streamOptimized") throw streamOptimized(path);
  if (!createTypes.includes(desc.createType)) {
    throw new ImageError(`${where}: createType "${desc.createType}" is not supported (supported: ${createTypes.join(", ")}); qemu-img convert -O vmdk ${path} new.vmdk makes a monolithicSparse copy`);
  }
  if (desc.parentCID !== "ffffffff") {
    const hint = desc.parentFileNameHint === undefined ? "" : ` "${desc.parentFileNameHint}"`;
    throw new ImageError(`${where}: the disk only records changes to a parent disk${hint} (parentCID=${desc.parentCID}), and parent disks are not supported; qemu-img convert -O vmdk ${path} new.vmdk makes a stand-alone copy`);
  }
}

function streamOptimized(path: string): ImageError {
  return new ImageError(`${path} is a streamOptimized VMDK (compressed grains, made for export), which is not supported; convert it: qemu-img convert -O vmdk ${path} new.vmdk`);
}

async function openExtent(descPath: string, line: ExtentLine, readOnly: boolean): Promise<Extent> {
  const where = `${descPath}: descriptor line ${line.line}`;
  if (line.access === "NOACCESS") throw new ImageError(`${where}: NOACCESS extents are not supported`);
  if (line.access === "RDONLY" && !readOnly) throw new ImageError(`${where}: the extent is RDONLY, so the disk can only be opened read-only`);
  if (!["FLAT", "VMFS", "SPARSE"].includes(line.type)) {
    throw new ImageError(`${where}: ${line.type} extents are not supported (FLAT, VMFS and SPARSE are)`);
  }
  const file = await extentFile(descPath, line.file, where);
  if (line.type !== "SPARSE") {
    const { fh, size } = await openFile(file, readOnly, where);
    // A short file would read as zeros where data belongs (a part sector at the end is allowed, as in dd images).
    if (line.offset + line.sectors > Math.ceil(size / SECTOR)) {
      await fh.close();
      throw new ImageError(`${where}: the extent ends at sector ${line.offset + line.sectors} of ${file}, which has only ${Math.ceil(size / SECTOR)} sectors (truncated?)`);
    }
    return new FlatExtent(file, fh, line.offset * SECTOR, line.sectors * SECTOR);
  }
  const extent = await SparseExtent.open(file, readOnly);
  if (extent.length !== line.sectors * SECTOR) {
    await extent.close();
    throw new ImageError(`${where}: the descriptor gives ${line.sectors} sectors but ${file}'s header has capacity ${extent.length / SECTOR}`);
  }
  return extent;
}

/** An extent may only name a file inside the descriptor's folder, also after following symlinks:
 * a downloaded image must not reach the host's other files. */
async function extentFile(descPath: string, name: string, where: string): Promise<string> {
  const folder = resolve(dirname(descPath));
  const inside = (dir: string, file: string) => {
    const rel = relative(dir, file);
    return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`);
  };
  const outside = () => new ImageError(`${where}: extent file "${name}" lies outside the descriptor's folder ${folder}`);
  const file = resolve(folder, name);
  if (!inside(folder, file)) throw outside();
  let real: string;
  let realFolder: string;
  try {
    [real, realFolder] = await Promise.all([realpath(file), realpath(folder)]);
  } catch (e) {
    throw new ImageError(`${where}: extent file "${name}" cannot be found: ${(e as Error).message}`);
  }
  if (!inside(realFolder, real)) throw outside();
  return real;
}

/** Opens a regular file; `where` prefixes the error message. */
async function openFile(path: string, readOnly: boolean, where?: string): Promise<{ fh: FileHandle; size: number }> {
  const prefix = where === undefined ? "" : `${where}: `;
  let fh: FileHandle;
  try {
    fh = await open(path, readOnly ? "r" : "r+");
  } catch (e) {
    throw new ImageError(`${prefix}cannot open ${path}: ${(e as Error).message}`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new ImageError(`${prefix}${path} is not a regular file`);
  }
  return { fh, size: st.size };
}

// ---- the disk: extents one after another ----

class VmdkImage implements BlockImage {
  readonly format = "vmdk";
  readonly sizeBytes: number;

  constructor(
    readonly path: string,
    readonly readOnly: boolean,
    private readonly extents: Extent[],
  ) {
    this.sizeBytes = extents.reduce((sum, x) => sum + x.length, 0);
  }

  async read(buf: Uint8Array, offset: number): Promise<void> {
    const parts = this.pieces(buf.length, offset);
    const spans = (await Promise.all(parts.map((p) => p.extent.spans(p.offset, p.length)))).flat();
    await Promise.all(
      coalesce(spans).map((run) => {
        const dest = buf.subarray(run.at, run.at + run.length);
        return run.file === null ? dest.fill(0) : readFully(run.file, dest, run.pos);
      }),
    );
  }

  async write(buf: Uint8Array, offset: number): Promise<void> {
    if (this.readOnly) throw new ImageError(`${this.path} is open read-only`);
    const parts = this.pieces(buf.length, offset);
    await Promise.all(parts.map((p) => p.extent.write(buf.subarray(p.at, p.at + p.length), p.offset)));
  }

  async flush(): Promise<void> {
    if (!this.readOnly) await Promise.all(this.extents.map((x) => x.flush()));
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await Promise.all(this.extents.map((x) => x.close()));
    }
  }

  /** Splits the disk's bytes [offset, offset + length) by extent. */
  private pieces(length: number, offset: number): { extent: Extent; offset: number; length: number; at: number }[] {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.sizeBytes) {
      throw new ImageError(`${this.path}: bytes ${offset}..${offset + length} are outside the ${this.sizeBytes}-byte disk`);
    }
    const out: { extent: Extent; offset: number; length: number; at: number }[] = [];
    let start = 0;
    for (const extent of this.extents) {
      const from = Math.max(offset, start);
      const to = Math.min(offset + length, start + extent.length);
      if (from < to) out.push({ extent, offset: from - start, length: to - from, at: from - offset });
      start += extent.length;
    }
    return out;
  }
}

/** Merges neighbouring spans that are contiguous in the same file (or both zeros) into one I/O;
 * `at` is each run's place in the request's buffer. */
function coalesce(spans: Span[]): (Span & { at: number })[] {
  const runs: (Span & { at: number })[] = [];
  let at = 0;
  for (const span of spans) {
    const last = runs[runs.length - 1];
    if (last && last.file === span.file && (span.file === null || last.pos + last.length === span.pos)) last.length += span.length;
    else runs.push({ ...span, at });
    at += span.length;
  }
  return runs;
}

class FlatExtent implements Extent {
  constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    private readonly base: number,
    readonly length: number,
  ) {}

  async spans(offset: number, length: number): Promise<Span[]> {
    return [{ file: this.fh, pos: this.base + offset, length }];
  }

  write(buf: Uint8Array, offset: number): Promise<void> {
    return writeFully(this.fh, buf, this.base + offset);
  }

  flush(): Promise<void> {
    return this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

// ---- hosted sparse extents ----

interface SparseHeader {
  flags: number;
  /** Sectors of disk the extent holds. */
  capacity: number;
  grainSectors: number;
  descriptorOffset: number;
  descriptorSectors: number;
  gtEntries: number;
  /** 0 when there is no redundant grain directory. */
  rgdOffset: number;
  gdOffset: number;
  /** Sectors before the first grain: header, descriptor, directories and their tables. */
  overHead: number;
  gdEntries: number;
}

/** Reads and checks the 512-byte SparseExtentHeader (little-endian, packed):
 *   0 magic  4 version  8 flags  12 capacity  20 grainSize  28 descriptorOffset  36 descriptorSize
 *   44 numGTEsPerGT  48 rgdOffset  56 gdOffset  64 overHead  72 uncleanShutdown  73 "\n \r\n"
 *   77 compressAlgorithm; sizes and offsets are in sectors. */
function parseSparseHeader(head: Uint8Array, file: string, fileSize: number, readOnly: boolean): SparseHeader {
  if (head.length < SECTOR) throw new ImageError(`${file} is too short (${fileSize} bytes) for a VMDK sparse extent header`);
  const dv = new DataView(head.buffer, head.byteOffset, SECTOR);
  const u64 = (at: number) => Number(dv.getBigUint64(at, true));
  const bad = (field: string, value: number, why: string) => new ImageError(`${file}: sparse extent header field ${field} = ${value} ${why}`);
  if (dv.getUint32(0, true) !== KDMV) throw new ImageError(`${file} is not a VMDK sparse extent (no KDMV magic)`);

  const version = dv.getUint32(4, true);
  const flags = dv.getUint32(8, true);
  if (version < 1 || version > 3) throw bad("version", version, "is not supported (1, 2 and 3 are)");
  if (flags & (FLAG_COMPRESSED | FLAG_MARKERS) || dv.getUint16(77, true) !== 0 || dv.getBigUint64(56, true) === GD_AT_END) {
    throw streamOptimized(file);
  }
  // Version 3 adds changed-block tracking, which a writer would have to keep up to date (QEMU: same).
  if (version === 3 && !readOnly) throw bad("version", version, "(changed-block tracking) can only be opened read-only");
  // Copying the file in text mode (FTP ASCII) would have rewritten these; VMware checks them too.
  if (flags & FLAG_NL_DETECT && (head[73] !== 0x0a || head[74] !== 0x20 || head[75] !== 0x0d || head[76] !== 0x0a)) {
    throw new ImageError(`${file}: the header's newline check bytes are damaged (was the file copied in text mode?)`);
  }

  const capacity = u64(12);
  const grainSectors = u64(20);
  const gtEntries = dv.getUint32(44, true);
  if (capacity < 1 || capacity > MAX_SECTORS) throw bad("capacity", capacity, `is not between 1 and ${MAX_SECTORS} sectors`);
  if (grainSectors < 1 || grainSectors > MAX_GRAIN_SECTORS || (grainSectors & (grainSectors - 1)) !== 0) {
    throw bad("grainSize", grainSectors, `is not a power of two from 1 to ${MAX_GRAIN_SECTORS} sectors`);
  }
  if (gtEntries < 1 || gtEntries > 512) throw bad("numGTEsPerGT", gtEntries, "is not between 1 and 512");
  const gdEntries = Math.ceil(capacity / (grainSectors * gtEntries));

  // Every metadata area must lie inside the file, and before the first grain (overHead).
  const fileSectors = Math.floor(fileSize / SECTOR);
  const overHead = u64(64);
  if (overHead > fileSectors) throw bad("overHead", overHead, `is beyond the end of the file (${fileSectors} sectors): the file is truncated`);
  const area = (field: string, offset: number, sectors: number) => {
    if (offset + sectors > fileSectors) throw bad(field, offset, `puts ${sectors} sectors beyond the end of the file (${fileSectors} sectors)`);
    if (offset < 1 || offset + sectors > overHead) throw bad(field, offset, `puts ${sectors} sectors outside the metadata area (from sector 1 to overHead, ${overHead})`);
  };
  const gdSectors = Math.ceil((gdEntries * 4) / SECTOR);
  const gdOffset = u64(56);
  area("gdOffset", gdOffset, gdSectors);
  const rgdOffset = flags & FLAG_RGD ? u64(48) : 0;
  if (flags & FLAG_RGD) area("rgdOffset", rgdOffset, gdSectors);
  const descriptorOffset = u64(28);
  const descriptorSectors = u64(36);
  if (descriptorOffset !== 0) {
    if (descriptorSectors > MAX_DESCRIPTOR_BYTES / SECTOR) throw bad("descriptorSize", descriptorSectors, "is too large");
    area("descriptorOffset", descriptorOffset, descriptorSectors);
  }
  return { flags, capacity, grainSectors, descriptorOffset, descriptorSectors, gtEntries, rgdOffset, gdOffset, overHead, gdEntries };
}

class SparseExtent implements Extent {
  readonly length: number;
  private readonly grainBytes: number;
  private readonly gtSectors: number;
  private readonly zeroGrains: boolean;
  /** Grain tables by directory index, least recently used first; dirty ones are never evicted. */
  private readonly tables = new Map<number, Uint32Array>();
  private readonly dirty = new Set<number>();
  private gdDirty = false;
  /** Where the next grain or table goes; everything past it is free. */
  private nextSector: number;
  /** Bytes of the file in use, counting space handed out but not yet written. */
  private fileEnd: number;
  /** Serialises allocation, table loads and write-back, so no grain is allocated twice. */
  private readonly lock = new Mutex();
  private readonly zeros: Uint8Array;

  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    fileSize: number,
    private readonly header: SparseHeader,
    private readonly gd: Uint32Array,
    private readonly rgd: Uint32Array | null,
  ) {
    this.length = header.capacity * SECTOR;
    this.grainBytes = header.grainSectors * SECTOR;
    this.gtSectors = Math.ceil((header.gtEntries * 4) / SECTOR);
    this.zeroGrains = (header.flags & FLAG_ZERO_GRAIN) !== 0;
    this.fileEnd = fileSize;
    // Grains start on a grain boundary, as QEMU places them.
    this.nextSector = Math.ceil(Math.ceil(fileSize / SECTOR) / header.grainSectors) * header.grainSectors;
    this.zeros = new Uint8Array(this.grainBytes);
  }

  static async open(file: string, readOnly: boolean): Promise<SparseExtent> {
    const { fh, size } = await openFile(file, readOnly);
    try {
      const head = new Uint8Array(Math.min(size, SECTOR));
      await readFully(fh, head, 0);
      const header = parseSparseHeader(head, file, size, readOnly);
      const readDirectory = async (offset: number) => {
        const bytes = new Uint8Array(header.gdEntries * 4);
        await readFully(fh, bytes, offset * SECTOR);
        return fromLittleEndian(bytes);
      };
      const gd = await readDirectory(header.gdOffset);
      const rgd = header.rgdOffset === 0 ? null : await readDirectory(header.rgdOffset);
      // Writes mirror every table into its redundant copy, so the copy must be there to write to.
      const gtBytes = header.gtEntries * 4;
      for (let i = 0; rgd && !readOnly && i < gd.length; i++) {
        if ((gd[i] === 0) !== (rgd[i] === 0) || rgd[i] * SECTOR + gtBytes > size) {
          throw new ImageError(`${file}: redundant grain directory entry ${i} (sector ${rgd[i]}) does not match the grain directory (sector ${gd[i]}); the image is damaged`);
        }
      }
      return new SparseExtent(file, fh, size, header, gd, rgd);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** The descriptor text a monolithicSparse file carries after its header; "" if none. */
  async embeddedDescriptor(): Promise<string> {
    if (this.header.descriptorOffset === 0) return "";
    const bytes = new Uint8Array(this.header.descriptorSectors * SECTOR);
    await readFully(this.fh, bytes, this.header.descriptorOffset * SECTOR);
    return cString(bytes);
  }

  async spans(offset: number, length: number): Promise<Span[]> {
    const out: Span[] = [];
    for (let done = 0; done < length; ) {
      const { grain, within, n } = this.grainAt(offset + done, length - done);
      const pos = this.grainPos(grain, await this.entry(grain));
      out.push(pos === null ? { file: null, pos: 0, length: n } : { file: this.fh, pos: pos + within, length: n });
      done += n;
    }
    return out;
  }

  async write(buf: Uint8Array, offset: number): Promise<void> {
    const spans = await this.spans(offset, buf.length);
    if (spans.some((s) => s.file === null)) return this.lock.run(() => this.allocateAndWrite(buf, offset));
    await Promise.all(coalesce(spans).map((run) => writeFully(this.fh, buf.subarray(run.at, run.at + run.length), run.pos)));
  }

  flush(): Promise<void> {
    return this.lock.run(async () => {
      await this.writeBack();
      await this.fh.datasync();
    });
  }

  close(): Promise<void> {
    return this.fh.close();
  }

  private grainAt(offset: number, length: number): { grain: number; within: number; n: number } {
    const grain = Math.floor(offset / this.grainBytes);
    const within = offset - grain * this.grainBytes;
    return { grain, within, n: Math.min(length, this.grainBytes - within) };
  }

  /** The grain's table entry as stored: 0 if never written, else see grainPos. */
  private async entry(grain: number): Promise<number> {
    const index = Math.floor(grain / this.header.gtEntries);
    let table = this.tables.get(index);
    if (table) {
      this.tables.delete(index); // most recently used goes last
      this.tables.set(index, table);
    } else {
      if (this.gd[index] === 0) return 0;
      table = await this.lock.run(() => this.loadTable(index));
    }
    return table[grain % this.header.gtEntries];
  }

  /** Byte position of the grain in the file, or null if it reads as zeros. */
  private grainPos(grain: number, entry: number): number | null {
    if (entry === 0 || (entry === GTE_ZEROED && this.zeroGrains)) return null;
    if (entry < this.header.overHead || entry * SECTOR >= this.fileEnd) {
      throw new ImageError(`${this.file}: the grain table entry for the grain at extent sector ${grain * this.header.grainSectors} points to sector ${entry}, outside the grain area (sectors ${this.header.overHead} to ${Math.ceil(this.fileEnd / SECTOR)}); the image is damaged`);
    }
    return entry * SECTOR;
  }

  // The methods below run under this.lock.

  private async loadTable(index: number): Promise<Uint32Array> {
    const cached = this.tables.get(index);
    if (cached) return cached;
    const sector = this.gd[index];
    const bytes = new Uint8Array(this.header.gtEntries * 4);
    if (sector * SECTOR + bytes.length > this.fileEnd) {
      throw new ImageError(`${this.file}: grain directory entry ${index} points to sector ${sector}, beyond the end of the file; the image is damaged`);
    }
    await readFully(this.fh, bytes, sector * SECTOR);
    const table = fromLittleEndian(bytes);
    this.tables.set(index, table);
    await this.makeRoom();
    return table;
  }

  /** The grain table for directory entry `index`, made at the end of the file if there is none. */
  private async tableForWrite(index: number): Promise<Uint32Array> {
    if (this.gd[index] !== 0) return this.loadTable(index);
    const table = new Uint32Array(this.header.gtEntries);
    this.gd[index] = this.reserve(this.gtSectors);
    if (this.rgd) this.rgd[index] = this.reserve(this.gtSectors);
    this.gdDirty = true;
    this.dirty.add(index);
    this.tables.set(index, table);
    await this.makeRoom();
    return table;
  }

  /** Writes `buf` at `offset`, giving each grain not yet in the file a new one at the end of the file.
   * A new grain is written whole, zeros around the data, since nothing else will ever fill it. */
  private async allocateAndWrite(buf: Uint8Array, offset: number): Promise<void> {
    const writes: { pos: number; end: number; parts: Uint8Array[] }[] = [];
    const fresh: { grain: number; sector: number }[] = [];
    for (let done = 0; done < buf.length; ) {
      const { grain, within, n } = this.grainAt(offset + done, buf.length - done);
      const table = await this.tableForWrite(Math.floor(grain / this.header.gtEntries));
      const data = buf.subarray(done, done + n);
      const pos = this.grainPos(grain, table[grain % this.header.gtEntries]);
      let write: (typeof writes)[number];
      if (pos !== null) {
        write = { pos: pos + within, end: pos + within + n, parts: [data] };
      } else {
        const sector = this.reserve(this.header.grainSectors);
        fresh.push({ grain, sector });
        write = { pos: sector * SECTOR, end: sector * SECTOR + this.grainBytes, parts: [this.zeros.subarray(0, within), data, this.zeros.subarray(within + n)] };
      }
      // New grains are handed out one after another, so a long write becomes one long I/O.
      const last = writes[writes.length - 1];
      if (last?.end === write.pos) {
        last.parts.push(...write.parts);
        last.end = write.end;
      } else {
        writes.push(write);
      }
      done += n;
    }
    await Promise.all(writes.map((w) => writeFully(this.fh, w.parts.length === 1 ? w.parts[0] : Buffer.concat(w.parts), w.pos)));
    for (const { grain, sector } of fresh) {
      const index = Math.floor(grain / this.header.gtEntries);
      (await this.tableForWrite(index))[grain % this.header.gtEntries] = sector;
      this.dirty.add(index);
    }
  }

  private reserve(sectors: number): number {
    const at = this.nextSector;
    if (at + sectors > MAX_EXTENT_FILE_SECTORS) {
      throw new ImageError(`${this.file}: the sparse extent is full (its file cannot grow beyond 2 TiB)`);
    }
    this.nextSector += sectors;
    this.fileEnd = Math.max(this.fileEnd, this.nextSector * SECTOR);
    return at;
  }

  /** Keeps at most CACHED_TABLES tables, writing dirty ones back when they crowd out the clean. */
  private async makeRoom(): Promise<void> {
    if (this.tables.size <= CACHED_TABLES) return;
    if (this.dirty.size > CACHED_TABLES / 2) await this.writeBack();
    for (const index of this.tables.keys()) {
      if (this.tables.size <= CACHED_TABLES) break;
      if (!this.dirty.has(index)) this.tables.delete(index);
    }
  }

  /** Puts changed tables (and both directories, if a table was added) on the disk, each only after
   * what it points at is durable. */
  private async writeBack(): Promise<void> {
    if (this.dirty.size === 0) return;
    await this.fh.datasync();
    await Promise.all(
      [...this.dirty].flatMap((index) => {
        const bytes = toLittleEndian(this.tables.get(index)!); // dirty tables stay cached
        const copies = this.rgd ? [this.gd[index], this.rgd[index]] : [this.gd[index]];
        return copies.map((sector) => writeFully(this.fh, bytes, sector * SECTOR));
      }),
    );
    if (this.gdDirty) {
      await this.fh.datasync();
      await writeFully(this.fh, toLittleEndian(this.gd), this.header.gdOffset * SECTOR);
      if (this.rgd) await writeFully(this.fh, toLittleEndian(this.rgd), this.header.rgdOffset * SECTOR);
    }
    this.dirty.clear();
    this.gdDirty = false;
  }
}

// ---- creating a monolithicSparse image ----

/** Makes an empty monolithicSparse image of `sizeBytes` laid out as qemu-img lays it out (64 KiB
 * grains, all grain tables and their redundant copies made up front); refuses to overwrite. */
export async function createVmdkImage(path: string, sizeBytes: number): Promise<void> {
  const capacity = sizeBytes / SECTOR;
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new ImageError(`cannot create ${path}: a VMDK disk's size is a positive multiple of 512 bytes, not ${sizeBytes}`);
  }
  const name = basename(path);
  if (/["\u0000-\u001f]/.test(name)) throw new ImageError(`cannot create ${path}: a VMDK descriptor cannot name a file with quotes or control characters`);

  const grainSectors = 128;
  const gtEntries = 512;
  const gtSectors = (gtEntries * 4) / SECTOR;
  const gtCount = Math.ceil(capacity / grainSectors / gtEntries);
  const gdSectors = Math.ceil((gtCount * 4) / SECTOR);
  const descriptorOffset = 1;
  const descriptorSectors = 20;
  const rgdOffset = descriptorOffset + descriptorSectors;
  const gdOffset = rgdOffset + gdSectors + gtCount * gtSectors;
  const overHead = Math.ceil((gdOffset + gdSectors + gtCount * gtSectors) / grainSectors) * grainSectors;
  if (overHead + capacity > MAX_EXTENT_FILE_SECTORS) {
    throw new ImageError(`cannot create ${path}: ${sizeBytes} bytes of grains and their tables would not fit the 2 TiB a sparse VMDK file can address`);
  }

  const header = new Uint8Array(SECTOR);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, KDMV, true);
  dv.setUint32(4, 1, true);
  dv.setUint32(8, FLAG_NL_DETECT | FLAG_RGD, true);
  dv.setBigUint64(12, BigInt(capacity), true);
  dv.setBigUint64(20, BigInt(grainSectors), true);
  dv.setBigUint64(28, BigInt(descriptorOffset), true);
  dv.setBigUint64(36, BigInt(descriptorSectors), true);
  dv.setUint32(44, gtEntries, true);
  dv.setBigUint64(48, BigInt(rgdOffset), true);
  dv.setBigUint64(56, BigInt(gdOffset), true);
  dv.setBigUint64(64, BigInt(overHead), true);
  header.set([0x0a, 0x20, 0x0d, 0x0a], 73);

  const cylinders = Math.min(16383, Math.floor(capacity / (16 * 63)));
  const descriptor = new TextEncoder().encode(
    [
      "# Disk DescriptorFile",
      "version=1",
      `CID=${randomInt(2 ** 32).toString(16).padStart(8, "0")}`,
      "parentCID=ffffffff",
      'createType="monolithicSparse"',
      "",
      "# Extent description",
      `RW ${capacity} SPARSE "${name}"`,
      "",
      "# The Disk Data Base",
      "#DDB",
      "",
      'ddb.virtualHWVersion = "4"',
      `ddb.geometry.cylinders = "${cylinders}"`,
      'ddb.geometry.heads = "16"',
      'ddb.geometry.sectors = "63"',
      'ddb.adapterType = "ide"',
      "",
    ].join("\n"),
  );
  // Each directory lists its own tables, which follow it; the tables start out empty (zeros).
  const directory = (first: number) => toLittleEndian(Uint32Array.from({ length: gtCount }, (_, i) => first + i * gtSectors));

  const fh = await createImageFile(path);
  try {
    await fh.truncate(overHead * SECTOR);
    await writeFully(fh, header, 0);
    await writeFully(fh, descriptor, descriptorOffset * SECTOR);
    await writeFully(fh, directory(rgdOffset + gdSectors), rgdOffset * SECTOR);
    await writeFully(fh, directory(gdOffset + gdSectors), gdOffset * SECTOR);
  } finally {
    await fh.close();
  }
}

// ---- helpers ----

/** A promise-chain mutex: run() starts `fn` once every earlier fn has settled. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => {});
    return result;
  }
}



/** Descriptor text ends at the first NUL: qemu-img pads descriptor files, and the embedded one's area, with zeros. */
function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function fromLittleEndian(bytes: Uint8Array): Uint32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: bytes.length / 4 }, (_, i) => dv.getUint32(i * 4, true));
}

function toLittleEndian(words: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  const dv = new DataView(bytes.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return bytes;
}

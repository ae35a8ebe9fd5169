// An ELF64 little-endian RISC-V reader: what a loader needs (PT_LOAD segments, the entry
// point) and symbol lookup (the HTIF `tohost`/`fromhost` words of test programs).
// Untrusted input: every field is range-checked and every failure is an ElfError.
// Nothing is copied; segment bytes are views into the input.

/** Raised for any malformed or unsupported file. */
export class ElfError extends Error {
  constructor(
    message: string,
    readonly fileName?: string,
  ) {
    super(fileName === undefined ? message : `${fileName}: ${message}`);
    this.name = "ElfError";
  }
}

/** A PT_LOAD program header with its file bytes. Addresses are 64-bit, hence bigint. */
export interface ElfSegment {
  readonly paddr: bigint;
  readonly vaddr: bigint;
  /** The initialised part, a view into the input; the rest up to memsz is zero (e.g. .bss). */
  readonly data: Uint8Array;
  readonly memsz: bigint;
  /** PF_X = 1, PF_W = 2, PF_R = 4. */
  readonly flags: number;
}

export interface ElfSymbol {
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** STT_* (0 notype, 1 object, 2 func, ...). */
  readonly type: number;
  /** STB_* (0 local, 1 global, 2 weak). */
  readonly bind: number;
  /** Index of the defining section; 0 means undefined. */
  readonly shndx: number;
}

export interface ElfImage {
  /** ET_EXEC (2) or ET_DYN (3, e.g. position-independent OpenSBI). */
  readonly type: number;
  readonly entry: bigint;
  /** e_flags: RVC and float-ABI bits. */
  readonly flags: number;
  readonly segments: readonly ElfSegment[];
  /** A defined symbol from .symtab by name, preferring global over weak over local. */
  symbol(name: string): ElfSymbol | undefined;
}

const EM_RISCV = 243;
const ET_EXEC = 2;
const ET_DYN = 3;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24n;
const PN_XNUM = 0xffff;
const SHN_LORESERVE = 0xff00;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const U64_MAX = 0xffffffffffffffffn;

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

interface Section {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entsize: bigint;
}

/** Parses and validates `bytes`; `fileName` only serves error messages. */
export function parseElf(bytes: Uint8Array, fileName?: string): ElfImage {
  function fail(message: string): never {
    throw new ElfError(message, fileName);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;

  // A file range, checked before any read so DataView never throws.
  const range = (offset: bigint | number, length: bigint | number, what: string): [number, number] => {
    const start = BigInt(offset);
    const end = start + BigInt(length);
    if (end > BigInt(size)) fail(`${what} (${hex(start)}+${hex(BigInt(length))}) extends past the end of the file (${hex(size)} bytes)`);
    return [Number(start), Number(end)];
  };

  if (size < EHDR_SIZE) fail(`truncated: ${size} bytes is shorter than the ${EHDR_SIZE}-byte ELF header`);
  if (view.getUint32(0, false) !== 0x7f454c46) fail("not an ELF file (bad magic)");
  if (bytes[4] !== 2) fail(`not ELF64 (class ${bytes[4]})`);
  if (bytes[5] !== 1) fail(`not little-endian (data encoding ${bytes[5]})`);
  if (bytes[6] !== 1) fail(`unsupported ELF identification version ${bytes[6]}`);

  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  const version = view.getUint32(20, true);
  const entry = view.getBigUint64(24, true);
  const phoff = view.getBigUint64(32, true);
  const shoff = view.getBigUint64(40, true);
  const flags = view.getUint32(48, true);
  const ehsize = view.getUint16(52, true);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);

  if (type !== ET_EXEC && type !== ET_DYN) fail(`not an executable (e_type ${type})`);
  if (machine !== EM_RISCV) fail(`not RISC-V (e_machine ${machine})`);
  if (version !== 1) fail(`unsupported e_version ${version}`);
  if (ehsize < EHDR_SIZE) fail(`e_ehsize ${ehsize} is smaller than ${EHDR_SIZE}`);
  // Extended numbering stores the real counts in section 0; no loadable image needs it.
  if (phnum === PN_XNUM) fail("extended program header numbering (e_phnum = PN_XNUM) is not supported");
  if (shnum === 0 && shoff !== 0n) fail("extended section numbering (e_shnum = 0 with e_shoff set) is not supported");

  // ---- program headers ----
  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < PHDR_SIZE) fail(`e_phentsize ${phentsize} is smaller than ${PHDR_SIZE}`);
    const [phStart] = range(phoff, phnum * phentsize, "program header table");
    for (let i = 0; i < phnum; i++) {
      const at = phStart + i * phentsize;
      if (view.getUint32(at, true) !== PT_LOAD) continue;
      const what = `program header ${i} (PT_LOAD)`;
      const pflags = view.getUint32(at + 4, true);
      const offset = view.getBigUint64(at + 8, true);
      const vaddr = view.getBigUint64(at + 16, true);
      const paddr = view.getBigUint64(at + 24, true);
      const filesz = view.getBigUint64(at + 32, true);
      const memsz = view.getBigUint64(at + 40, true);
      if (filesz > memsz) fail(`${what}: p_filesz ${hex(filesz)} exceeds p_memsz ${hex(memsz)}`);
      if (paddr + memsz - 1n > U64_MAX && memsz > 0n) fail(`${what}: physical range ${hex(paddr)}+${hex(memsz)} wraps past 2^64`);
      if (vaddr + memsz - 1n > U64_MAX && memsz > 0n) fail(`${what}: virtual range ${hex(vaddr)}+${hex(memsz)} wraps past 2^64`);
      const [start, end] = range(offset, filesz, `${what} file data`);
      segments.push({ paddr, vaddr, data: bytes.subarray(start, end), memsz, flags: pflags });
    }
  }

  // Overlapping segments would make the loaded image depend on load order.
  const placed = segments.filter((s) => s.memsz > 0n).sort((a, b) => (a.paddr < b.paddr ? -1 : a.paddr > b.paddr ? 1 : 0));
  for (let k = 1; k < placed.length; k++) {
    const [prev, next] = [placed[k - 1], placed[k]];
    if (prev.paddr + prev.memsz > next.paddr) {
      fail(`PT_LOAD segments overlap: ${hex(prev.paddr)}+${hex(prev.memsz)} and ${hex(next.paddr)}+${hex(next.memsz)}`);
    }
  }

  // ---- section headers ----
  const sections: Section[] = [];
  if (shnum > 0) {
    if (shentsize < SHDR_SIZE) fail(`e_shentsize ${shentsize} is smaller than ${SHDR_SIZE}`);
    const [shStart] = range(shoff, shnum * shentsize, "section header table");
    for (let i = 0; i < shnum; i++) {
      const at = shStart + i * shentsize;
      const stype = view.getUint32(at + 4, true);
      const offset = view.getBigUint64(at + 24, true);
      const ssize = view.getBigUint64(at + 32, true);
      const link = view.getUint32(at + 40, true);
      const entsize = view.getBigUint64(at + 56, true);
      // NOBITS sections (.bss) occupy no file space, so their offset and size are not file ranges.
      const [start, end] = stype === SHT_NOBITS ? [0, 0] : range(offset, ssize, `section ${i}`);
      if (link >= shnum && link < SHN_LORESERVE) fail(`section ${i}: sh_link ${link} is not a section index (e_shnum ${shnum})`);
      sections.push({ type: stype, offset: start, size: end - start, link, entsize });
    }
  }

  // ---- symbols ----
  // Validated now, searched on demand: a lookup compares the wanted name in place, so no
  // input can make us decode or copy every string.
  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length > 1) fail(`${symtabs.length} SHT_SYMTAB sections; expected at most one`);
  const symtab: Section | undefined = symtabs[0];
  let strtab: Section | undefined;
  if (symtab !== undefined) {
    const { entsize } = symtab;
    if (entsize < SYM_SIZE || entsize > BigInt(size)) fail(`.symtab sh_entsize ${entsize} is not a valid symbol size`);
    if (BigInt(symtab.size) % entsize !== 0n) fail(`.symtab size ${hex(symtab.size)} is not a multiple of its entry size ${entsize}`);
    strtab = sections[symtab.link];
    if (strtab === undefined || strtab.type !== SHT_STRTAB) fail(`.symtab sh_link ${symtab.link} is not a string table`);
    // A string table ends with NUL, so every in-range name offset is terminated.
    if (strtab.size === 0 || bytes[strtab.offset + strtab.size - 1] !== 0) fail(".strtab does not end with a NUL byte");
    for (let at = symtab.offset; at < symtab.offset + symtab.size; at += Number(entsize)) {
      const nameOff = view.getUint32(at, true);
      if (nameOff >= strtab.size) {
        fail(`symbol ${(at - symtab.offset) / Number(entsize)}: name offset ${hex(nameOff)} is outside .strtab (${hex(strtab.size)} bytes)`);
      }
    }
  }

  const rank = (bind: number): number => (bind === STB_GLOBAL ? 0 : bind === STB_WEAK ? 1 : 2);
  const symbol = (name: string): ElfSymbol | undefined => {
    if (symtab === undefined || strtab === undefined) return undefined;
    const wanted = new TextEncoder().encode(name);
    if (wanted.length === 0 || wanted.includes(0)) return undefined;
    const step = Number(symtab.entsize);
    let best: ElfSymbol | undefined;
    // Entry 0 is the reserved null symbol.
    for (let at = symtab.offset + step; at < symtab.offset + symtab.size; at += step) {
      const shndx = view.getUint16(at + 6, true);
      if (shndx === 0) continue; // undefined here, defined elsewhere
      const from = strtab.offset + view.getUint32(at, true);
      if (from + wanted.length >= strtab.offset + strtab.size) continue;
      if (bytes[from + wanted.length] !== 0 || wanted.some((b, k) => bytes[from + k] !== b)) continue;
      const info = bytes[at + 4];
      const sym: ElfSymbol = {
        name,
        value: view.getBigUint64(at + 8, true),
        size: view.getBigUint64(at + 16, true),
        type: info & 0xf,
        bind: info >> 4,
        shndx,
      };
      if (best === undefined || rank(sym.bind) < rank(best.bind)) best = sym;
      if (rank(best.bind) === 0) break;
    }
    return best;
  };

  return { type, entry, flags, segments, symbol };
}

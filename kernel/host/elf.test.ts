import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ElfError, type ElfImage, parseElf } from "./elf.js";

const scratch = mkdtempSync(join(tmpdir(), "domus-elf-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---- a small, valid RISC-V executable built in code ----

const TEXT = new Uint8Array([0x97, 0x02, 0x00, 0x00, 0x93, 0x82, 0x02, 0x00, 0x6f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00]);
const DATA = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
const TEXT_ADDR = 0x80000000n;
const DATA_PADDR = 0x80001000n;
const DATA_VADDR = 0xffffffff80001000n; // a kernel-style high virtual address
const BSS_SIZE = 0xff0n;
const STRTAB_NAMES = ["counter", "dup", "_start", "tohost", "fromhost", "weakling", "extern"];
const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const STB_WEAK = 2;

interface Sym {
  name: string;
  /** Byte offset into the name, to share a suffix of another name as linkers do. */
  skip?: number;
  bind: number;
  type: number;
  shndx: number;
  value: bigint;
  size: bigint;
}

const SYMBOLS: Sym[] = [
  { name: "counter", bind: STB_LOCAL, type: 1, shndx: 2, value: DATA_VADDR + 0x10n, size: 4n },
  { name: "dup", bind: STB_LOCAL, type: 1, shndx: 2, value: 1n, size: 0n },
  { name: "_start", bind: STB_GLOBAL, type: 2, shndx: 1, value: TEXT_ADDR, size: 16n },
  { name: "tohost", bind: STB_GLOBAL, type: 1, shndx: 2, value: DATA_VADDR, size: 8n },
  { name: "fromhost", bind: STB_GLOBAL, type: 1, shndx: 2, value: DATA_VADDR + 8n, size: 8n },
  { name: "dup", bind: STB_GLOBAL, type: 0, shndx: 2, value: 2n, size: 0n },
  { name: "weakling", bind: STB_WEAK, type: 2, shndx: 1, value: 3n, size: 0n },
  { name: "extern", bind: STB_GLOBAL, type: 0, shndx: 0, value: 0n, size: 0n },
  { name: "tohost", skip: 2, bind: STB_GLOBAL, type: 1, shndx: 0xfff1, value: 5n, size: 0n }, // "host", absolute
];

/** Where the interesting fields of the built file live, for targeted mutation. */
interface Layout {
  phoff: number;
  shoff: number;
  symoff: number;
  phnum: number;
  shnum: number;
  symnum: number;
}

function buildElf(): { bytes: Uint8Array; layout: Layout } {
  const strtab = new TextEncoder().encode(`\0${STRTAB_NAMES.join("\0")}\0`);
  const nameOffset = (s: Sym): number => 1 + STRTAB_NAMES.slice(0, STRTAB_NAMES.indexOf(s.name)).reduce((n, x) => n + x.length + 1, 0) + (s.skip ?? 0);
  const shstrNames = ["", ".text", ".data", ".bss", ".symtab", ".strtab", ".shstrtab"];
  const shstrtab = new TextEncoder().encode(`${shstrNames.join("\0")}\0`);
  const shName = (i: number): number => shstrNames.slice(0, i).reduce((n, x) => n + x.length + 1, 0);

  const phoff = 64;
  const phnum = 2;
  const textOff = 0x100;
  const dataOff = textOff + TEXT.length;
  const symoff = dataOff + DATA.length; // 8-aligned
  const symnum = SYMBOLS.length + 1;
  const strOff = symoff + symnum * 24;
  const shstrOff = strOff + strtab.length;
  const shoff = (shstrOff + shstrtab.length + 7) & ~7;
  const shnum = shstrNames.length;
  const out = new Uint8Array(shoff + shnum * 64);
  const v = new DataView(out.buffer);

  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  v.setBigUint64(24, TEXT_ADDR, true);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint32(48, 0x5, true); // RVC, double-float ABI
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, phnum, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, shnum - 1, true);

  const phdr = (i: number, flags: number, off: number, vaddr: bigint, paddr: bigint, filesz: number, memsz: bigint): void => {
    const at = phoff + i * 56;
    v.setUint32(at, 1, true); // PT_LOAD
    v.setUint32(at + 4, flags, true);
    v.setBigUint64(at + 8, BigInt(off), true);
    v.setBigUint64(at + 16, vaddr, true);
    v.setBigUint64(at + 24, paddr, true);
    v.setBigUint64(at + 32, BigInt(filesz), true);
    v.setBigUint64(at + 40, memsz, true);
    v.setBigUint64(at + 48, 8n, true);
  };
  phdr(0, 5, textOff, TEXT_ADDR, TEXT_ADDR, TEXT.length, BigInt(TEXT.length));
  phdr(1, 6, dataOff, DATA_VADDR, DATA_PADDR, DATA.length, BigInt(DATA.length) + BSS_SIZE);
  out.set(TEXT, textOff);
  out.set(DATA, dataOff);

  SYMBOLS.forEach((s, k) => {
    const at = symoff + (k + 1) * 24; // entry 0 stays the null symbol
    v.setUint32(at, nameOffset(s), true);
    out[at + 4] = (s.bind << 4) | s.type;
    v.setUint16(at + 6, s.shndx, true);
    v.setBigUint64(at + 8, s.value, true);
    v.setBigUint64(at + 16, s.size, true);
  });
  out.set(strtab, strOff);
  out.set(shstrtab, shstrOff);

  const shdr = (i: number, type: number, flags: number, addr: bigint, off: number, size: number, link: number, info: number, entsize: number): void => {
    const at = shoff + i * 64;
    v.setUint32(at, shName(i), true);
    v.setUint32(at + 4, type, true);
    v.setBigUint64(at + 8, BigInt(flags), true);
    v.setBigUint64(at + 16, addr, true);
    v.setBigUint64(at + 24, BigInt(off), true);
    v.setBigUint64(at + 32, BigInt(size), true);
    v.setUint32(at + 40, link, true);
    v.setUint32(at + 44, info, true);
    v.setBigUint64(at + 48, 8n, true);
    v.setBigUint64(at + 56, BigInt(entsize), true);
  };
  shdr(1, 1, 0x6, TEXT_ADDR, textOff, TEXT.length, 0, 0, 0); // .text PROGBITS AX
  shdr(2, 1, 0x3, DATA_VADDR, dataOff, DATA.length, 0, 0, 0); // .data PROGBITS WA
  shdr(3, 8, 0x3, DATA_VADDR + 0x10n, dataOff + DATA.length, Number(BSS_SIZE), 0, 0, 0); // .bss NOBITS
  shdr(4, 2, 0, 0n, symoff, symnum * 24, 5, 3, 24); // .symtab -> .strtab; first global is #3
  shdr(5, 3, 0, 0n, strOff, strtab.length, 0, 0, 0);
  shdr(6, 3, 0, 0n, shstrOff, shstrtab.length, 0, 0, 0);
  return { bytes: out, layout: { phoff, shoff, symoff, phnum, shnum, symnum } };
}

const valid = buildElf();

/** Runs `f`; returns the ElfError it throws, failing on any other outcome. */
function elfError(f: () => unknown): ElfError {
  try {
    f();
  } catch (e) {
    if (e instanceof ElfError) return e;
    throw e;
  }
  throw new Error("expected an ElfError");
}

/** Parses, letting only ElfError through; on success checks what a loader relies on. */
function parseOrElfError(bytes: Uint8Array): ElfImage | undefined {
  let image: ElfImage;
  try {
    image = parseElf(bytes, "fuzz.elf");
  } catch (e) {
    if (e instanceof ElfError) {
      expect(e.message.startsWith("fuzz.elf: ")).toBe(true);
      return undefined;
    }
    throw e;
  }
  for (const s of image.segments) {
    expect(s.data.buffer).toBe(bytes.buffer);
    expect(s.data.byteOffset + s.data.length).toBeLessThanOrEqual(bytes.byteOffset + bytes.length);
    expect(BigInt(s.data.length) <= s.memsz).toBe(true);
    expect(s.paddr + s.memsz <= 2n ** 64n).toBe(true);
  }
  for (const name of ["tohost", "fromhost", "_start", "dup", "host", "", "x\0y", "missing"]) {
    const sym = image.symbol(name);
    if (sym) expect(sym.name).toBe(name);
  }
  return image;
}

describe("parseElf on a valid image", () => {
  const image = parseElf(valid.bytes, "test.elf");

  it("reads the header", () => {
    expect(image.type).toBe(2);
    expect(image.entry).toBe(TEXT_ADDR);
    expect(image.flags).toBe(5);
  });

  it("lists the PT_LOAD segments with their file bytes", () => {
    expect(image.segments).toHaveLength(2);
    const [text, data] = image.segments;
    expect(text).toMatchObject({ paddr: TEXT_ADDR, vaddr: TEXT_ADDR, memsz: 16n, flags: 5 });
    expect(text.data).toEqual(TEXT);
    expect(data).toMatchObject({ paddr: DATA_PADDR, vaddr: DATA_VADDR, memsz: 16n + BSS_SIZE, flags: 6 });
    expect(data.data).toEqual(DATA);
  });

  it("finds symbols by name", () => {
    expect(image.symbol("tohost")).toEqual({ name: "tohost", value: DATA_VADDR, size: 8n, type: 1, bind: 1, shndx: 2 });
    expect(image.symbol("fromhost")?.value).toBe(DATA_VADDR + 8n);
    expect(image.symbol("_start")).toMatchObject({ value: TEXT_ADDR, type: 2 });
    expect(image.symbol("counter")).toMatchObject({ bind: STB_LOCAL, size: 4n });
    expect(image.symbol("weakling")).toMatchObject({ bind: STB_WEAK, value: 3n });
    // A global wins over a local of the same name.
    expect(image.symbol("dup")).toMatchObject({ bind: STB_GLOBAL, value: 2n });
    // A name that is the tail of another string in .strtab.
    expect(image.symbol("host")).toMatchObject({ value: 5n, shndx: 0xfff1 });
  });

  it("does not find undefined, partial or absent names", () => {
    for (const name of ["extern", "to", "tohos", "tohostx", "", "no\0pe", "missing"]) {
      expect(image.symbol(name), name).toBeUndefined();
    }
  });

  it("reads from a view into a larger buffer", () => {
    const big = new Uint8Array(valid.bytes.length + 100);
    big.set(valid.bytes, 37);
    const view = big.subarray(37, 37 + valid.bytes.length);
    const again = parseElf(view);
    expect(again.segments[1].data).toEqual(DATA);
    expect(again.symbol("tohost")?.value).toBe(DATA_VADDR);
  });

  it("is a file binutils readelf accepts without complaint", () => {
    const file = join(scratch, "built.elf");
    writeFileSync(file, valid.bytes);
    const r = spawnSync("readelf", ["-W", "-h", "-l", "-S", "-s", file]);
    expect(r.stderr.toString()).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toMatch(/GLOBAL\s+DEFAULT\s+2 tohost/);
  });
});

describe("parseElf rejects malformed files with ElfError", () => {
  const { layout } = valid;
  const sym = (k: number): number => layout.symoff + k * 24;
  const sh = (i: number): number => layout.shoff + i * 64;
  const ph = (i: number): number => layout.phoff + i * 56;
  type Edit = (b: Uint8Array, v: DataView) => Uint8Array | void;
  const cases: [string, Edit, RegExp][] = [
    ["empty", (b) => b.subarray(0, 0), /truncated: 0 bytes/],
    ["truncated header", (b) => b.subarray(0, 63), /truncated/],
    ["bad magic", (b) => void (b[1] = 0x46), /bad magic/],
    ["ELF32", (b) => void (b[4] = 1), /not ELF64/],
    ["big-endian", (b) => void (b[5] = 2), /not little-endian/],
    ["bad ident version", (b) => void (b[6] = 0), /identification version/],
    ["relocatable object", (_, v) => v.setUint16(16, 1, true), /not an executable/],
    ["x86-64", (_, v) => v.setUint16(18, 62, true), /not RISC-V \(e_machine 62\)/],
    ["bad e_version", (_, v) => v.setUint32(20, 0, true), /e_version/],
    ["small e_ehsize", (_, v) => v.setUint16(52, 52, true), /e_ehsize/],
    ["small e_phentsize", (_, v) => v.setUint16(54, 32, true), /e_phentsize/],
    ["PN_XNUM", (_, v) => v.setUint16(56, 0xffff, true), /PN_XNUM/],
    ["program headers past the end", (_, v) => v.setBigUint64(32, 0xfffffffffffffff0n, true), /program header table .* past the end/],
    ["too many program headers", (_, v) => v.setUint16(56, 0xfffe, true), /program header table/],
    ["filesz > memsz", (_, v) => v.setBigUint64(ph(0) + 40, 8n, true), /program header 0 .*p_filesz 0x10 exceeds p_memsz 0x8/],
    ["segment data past the end", (_, v) => v.setBigUint64(ph(1) + 8, BigInt(valid.bytes.length - 8), true), /program header 1 .* past the end/],
    ["segment offset overflowing", (_, v) => v.setBigUint64(ph(1) + 8, 2n ** 64n - 8n, true), /program header 1 .* past the end/],
    ["physical range wrapping", (_, v) => v.setBigUint64(ph(1) + 24, 2n ** 64n - 0x100n, true), /physical range .* wraps/],
    ["virtual range wrapping", (_, v) => v.setBigUint64(ph(1) + 16, 2n ** 64n - 0x100n, true), /virtual range .* wraps/],
    ["overlapping segments", (_, v) => v.setBigUint64(ph(1) + 24, TEXT_ADDR + 8n, true), /segments overlap/],
    ["small e_shentsize", (_, v) => v.setUint16(58, 40, true), /e_shentsize/],
    ["section headers past the end", (_, v) => v.setBigUint64(40, BigInt(valid.bytes.length - 64), true), /section header table/],
    ["extended section numbering", (_, v) => v.setUint16(60, 0, true), /extended section numbering/],
    ["section data past the end", (_, v) => v.setBigUint64(sh(2) + 32, 0x100000n, true), /section 2 .* past the end/],
    ["sh_link out of range", (_, v) => v.setUint32(sh(1) + 40, 99, true), /section 1: sh_link 99/],
    ["two symbol tables", (_, v) => v.setUint32(sh(6) + 4, 2, true), /2 SHT_SYMTAB sections/],
    ["symtab linked to a non-string table", (_, v) => v.setUint32(sh(4) + 40, 1, true), /sh_link 1 is not a string table/],
    ["bad symbol size", (_, v) => v.setBigUint64(sh(4) + 56, 16n, true), /sh_entsize 16/],
    ["huge symbol size", (_, v) => v.setBigUint64(sh(4) + 56, 2n ** 63n, true), /sh_entsize/],
    ["symtab not whole entries", (_, v) => v.setBigUint64(sh(4) + 32, BigInt(layout.symnum * 24 - 1), true), /not a multiple/],
    ["name offset outside strtab", (_, v) => v.setUint32(sym(4), 0x10000, true), /symbol 4: name offset 0x10000 is outside \.strtab/],
    ["strtab without final NUL", (_, v) => v.setBigUint64(sh(5) + 32, 5n, true), /does not end with a NUL/],
    ["empty strtab", (_, v) => v.setBigUint64(sh(5) + 32, 0n, true), /does not end with a NUL/],
  ];

  it.each(cases)("%s", (_, edit, message) => {
    const copy = valid.bytes.slice();
    const edited = edit(copy, new DataView(copy.buffer)) ?? copy;
    const error = elfError(() => parseElf(edited, "bad.elf"));
    expect(error.message).toMatch(message);
    expect(error.message.startsWith("bad.elf: ")).toBe(true);
    expect(error.fileName).toBe("bad.elf");
    expect(error.name).toBe("ElfError");
  });

  it("omits the file name when none is given", () => {
    const error = elfError(() => parseElf(new Uint8Array(10)));
    expect(error.message).toMatch(/^truncated/);
    expect(error.fileName).toBeUndefined();
  });

  it("accepts every truncation only where the file is still whole", () => {
    for (let n = 0; n < valid.bytes.length; n++) parseOrElfError(valid.bytes.slice(0, n));
    expect(() => parseElf(valid.bytes.slice(0, valid.bytes.length - 1))).toThrow(ElfError);
  });
});

describe("parseElf on arbitrary input (property-based)", () => {
  it("throws only ElfError on random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => void parseOrElfError(b)), { numRuns: 2000 });
  });

  it("throws only ElfError on random bytes behind a plausible header", () => {
    const header = valid.bytes.subarray(0, 24);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
        const b = new Uint8Array(24 + tail.length);
        b.set(header);
        b.set(tail, 24);
        parseOrElfError(b);
      }),
      { numRuns: 2000 },
    );
  });

  // Fields worth hitting with extreme values: [offset, width in bytes].
  const { layout } = valid;
  const fields: [number, 2 | 4 | 8][] = [
    [16, 2], [18, 2], [24, 8], [32, 8], [40, 8], [52, 2], [54, 2], [56, 2], [58, 2], [60, 2], [62, 2],
  ];
  for (let i = 0; i < layout.phnum; i++) {
    const at = layout.phoff + i * 56;
    fields.push([at, 4], [at + 8, 8], [at + 16, 8], [at + 24, 8], [at + 32, 8], [at + 40, 8]);
  }
  for (let i = 0; i < layout.shnum; i++) {
    const at = layout.shoff + i * 64;
    fields.push([at + 4, 4], [at + 24, 8], [at + 32, 8], [at + 40, 4], [at + 56, 8]);
  }
  for (let k = 0; k < layout.symnum; k++) {
    const at = layout.symoff + k * 24;
    fields.push([at, 4], [at + 6, 2]);
  }
  const size = BigInt(valid.bytes.length);
  const interesting = fc.oneof(
    fc.constantFrom(0n, 1n, 2n, 3n, 8n, 24n, 56n, 64n, size - 1n, size, size + 1n, 0xffffn, 0xffffffffn, 2n ** 63n, 2n ** 64n - 1n),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.bigInt({ min: 0n, max: size * 2n }),
  );
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("field" as const), field: fc.constantFrom(...fields), value: interesting }),
    fc.record({ kind: fc.constant("byte" as const), at: fc.nat({ max: valid.bytes.length - 1 }), value: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant("truncate" as const), length: fc.nat({ max: valid.bytes.length }) }),
  );

  it("throws only ElfError on mutated valid images, and keeps its promises when it accepts one", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let b = valid.bytes.slice();
        for (const m of mutations) {
          if (m.kind === "truncate") {
            b = b.slice(0, m.length);
          } else if (m.kind === "byte") {
            if (m.at < b.length) b[m.at] = m.value;
          } else {
            const [at, width] = m.field;
            if (at + width > b.length) continue;
            const v = new DataView(b.buffer);
            const bits = BigInt(width * 8);
            const value = m.value & ((1n << bits) - 1n);
            if (width === 8) v.setBigUint64(at, value, true);
            else if (width === 4) v.setUint32(at, Number(value), true);
            else v.setUint16(at, Number(value), true);
          }
        }
        parseOrElfError(b);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- real files, when the tools or firmware are around ----

/** PT_LOAD rows as binutils readelf prints them: offset, vaddr, paddr, filesz, memsz. */
function readelfLoads(file: string): bigint[][] {
  const r = spawnSync("readelf", ["-W", "-l", file]);
  return r.stdout
    .toString()
    .split("\n")
    .filter((l) => /^\s*LOAD\s/.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1, 6).map((x) => BigInt(x)));
}

function expectMatchesReadelf(file: string): ElfImage {
  const input = readFileSync(file);
  const image = parseElf(input, file);
  const ours = image.segments.map((s) => [BigInt(s.data.byteOffset - input.byteOffset), s.vaddr, s.paddr, BigInt(s.data.length), s.memsz]);
  expect(ours).toEqual(readelfLoads(file));
  return image;
}

describe("parseElf on real files", () => {
  const opensbi = "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.elf";
  it("reads OpenSBI as readelf does", () => {
    const image = expectMatchesReadelf(opensbi);
    expect(image.entry).toBe(0x80000000n);
    expect(image.symbol("tohost")).toBeUndefined(); // Debian ships it without .symtab
  });

  const uboot = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf";
  it("reads U-Boot as readelf does", () => {
    expect(expectMatchesReadelf(uboot).entry).toBe(0x80200000n);
  });

  it("finds tohost and fromhost in a clang-built test program", () => {
    // One of the committed ISA test programs (guests/isa, built with clang and lld).
    const output = fileURLToPath(new URL("../../guests/isa/bin/rv64i.elf", import.meta.url));
    const image = expectMatchesReadelf(output);
    const symbols = spawnSync("readelf", ["-W", "-s", output]).stdout.toString();
    const valueOf = (name: string): bigint => BigInt(`0x${new RegExp(`:\\s+([0-9a-f]+)\\s.*\\s${name}$`, "m").exec(symbols)?.[1]}`);
    expect(image.symbol("tohost")?.value).toBe(valueOf("tohost"));
    expect(image.symbol("fromhost")?.value).toBe(valueOf("fromhost"));
    expect(image.symbol("_start")?.value).toBe(image.entry);
  });
});

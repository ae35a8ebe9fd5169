// Linux console fonts (PSF1 and PSF2, usually gzipped), for drawing text screens. The default is
// Debian's VGA font with a Unicode table, from the console-setup-linux package.

import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";

export const DEFAULT_FONT = "/usr/share/consolefonts/Uni2-VGA16.psf.gz";

const PSF1_MAGIC = 0x0436;
const PSF1_MODE512 = 1;
const PSF1_MODEHASTAB = 2;
const PSF1_MODEHASSEQ = 4;
const PSF1_SEPARATOR = 0xffff;
const PSF1_STARTSEQ = 0xfffe;
const PSF2_MAGIC = 0x864ab572;
const PSF2_HAS_UNICODE_TABLE = 1;
const PSF2_SEPARATOR = 0xff;
const PSF2_STARTSEQ = 0xfe;

let defaultFont: PsfFont | undefined;

export class PsfFontError extends Error {
  override name = "PsfFontError";
}

export class PsfFont {
  /** Bytes a glyph row takes: its width rounded up to a byte. */
  readonly rowBytes: number;
  private readonly fallback: number;

  private constructor(
    readonly width: number,
    readonly height: number,
    readonly glyphCount: number,
    private readonly glyphs: Uint8Array,
    /** Code point to glyph; without a table, the code point is the glyph number. */
    private readonly table: ReadonlyMap<number, number> | undefined,
  ) {
    this.rowBytes = Math.ceil(width / 8);
    this.fallback = this.table?.get(0xfffd) ?? this.table?.get(0x3f) ?? 0x3f % glyphCount;
  }

  static async load(path = DEFAULT_FONT): Promise<PsfFont> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      throw PsfFont.missing(path, e);
    }
    return PsfFont.parse(bytes, path);
  }

  /** DEFAULT_FONT, read once (synchronously: it is 9 KiB) and kept. */
  static default(): PsfFont {
    if (defaultFont === undefined) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(DEFAULT_FONT);
      } catch (e) {
        throw PsfFont.missing(DEFAULT_FONT, e);
      }
      defaultFont = PsfFont.parse(bytes, DEFAULT_FONT);
    }
    return defaultFont;
  }

  private static missing(path: string, e: unknown): PsfFontError {
    return new PsfFontError(`cannot read the console font ${path} (Debian package console-setup-linux): ${(e as Error).message}`);
  }

  /** Parses a PSF1 or PSF2 font, gzipped or not. */
  static parse(data: Uint8Array, where = "font"): PsfFont {
    const b = Buffer.from(data.buffer, data.byteOffset, data.length);
    const raw = b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
    const fail = (why: string) => new PsfFontError(`${where}: ${why}`);
    if (raw.length >= 4 && raw.readUInt16LE(0) === PSF1_MAGIC) {
      const mode = raw[2];
      const height = raw[3];
      const count = mode & PSF1_MODE512 ? 512 : 256;
      const end = 4 + count * height;
      if (height === 0 || raw.length < end) throw fail(`a PSF1 font of ${count} 8x${height} glyphs needs ${end} bytes, has ${raw.length}`);
      let table: Map<number, number> | undefined;
      if (mode & (PSF1_MODEHASTAB | PSF1_MODEHASSEQ)) {
        table = new Map();
        let glyph = 0;
        let inSequence = false;
        for (let o = end; o + 1 < raw.length && glyph < count; o += 2) {
          const u = raw.readUInt16LE(o);
          if (u === PSF1_SEPARATOR) {
            glyph++;
            inSequence = false;
          } else if (u === PSF1_STARTSEQ) {
            inSequence = true;
          } else if (!inSequence && !table.has(u)) {
            table.set(u, glyph);
          }
        }
      }
      return new PsfFont(8, height, count, raw.subarray(4, end), table);
    }
    if (raw.length >= 32 && raw.readUInt32LE(0) === PSF2_MAGIC) {
      const headerSize = raw.readUInt32LE(8);
      const flags = raw.readUInt32LE(12);
      const count = raw.readUInt32LE(16);
      const glyphBytes = raw.readUInt32LE(20);
      const height = raw.readUInt32LE(24);
      const width = raw.readUInt32LE(28);
      const end = headerSize + count * glyphBytes;
      if (width === 0 || height === 0 || width > 64 || height > 128 || count === 0 || glyphBytes !== Math.ceil(width / 8) * height || raw.length < end) {
        throw fail(`a PSF2 header that does not add up (${count} glyphs of ${width}x${height} in ${glyphBytes} bytes, file ${raw.length} bytes)`);
      }
      let table: Map<number, number> | undefined;
      if (flags & PSF2_HAS_UNICODE_TABLE) {
        table = new Map();
        let glyph = 0;
        let start = end;
        let inSequence = false;
        for (let o = end; o < raw.length && glyph < count; o++) {
          const byte = raw[o];
          if (byte !== PSF2_SEPARATOR && byte !== PSF2_STARTSEQ) continue;
          // The UTF-8 text since the last marker: single characters map to this glyph.
          if (!inSequence) {
            for (const ch of raw.subarray(start, o).toString("utf8")) {
              const cp = ch.codePointAt(0) ?? 0;
              if (!table.has(cp)) table.set(cp, glyph);
            }
          }
          if (byte === PSF2_SEPARATOR) {
            glyph++;
            inSequence = false;
          } else {
            inSequence = true;
          }
          start = o + 1;
        }
      }
      return new PsfFont(width, height, count, raw.subarray(headerSize, end), table);
    }
    throw fail("not a PSF1 or PSF2 font");
  }

  /** The glyph that draws `codePoint`, or the font's replacement glyph. */
  glyphOf(codePoint: number): number {
    const g = this.table === undefined ? (codePoint < this.glyphCount ? codePoint : undefined) : this.table.get(codePoint);
    return g ?? this.fallback;
  }

  /** Whether pixel (x, y) of glyph `glyph` is set. */
  pixel(glyph: number, x: number, y: number): boolean {
    const byte = this.glyphs[(glyph * this.height + y) * this.rowBytes + (x >> 3)];
    return (byte & (0x80 >> (x & 7))) !== 0;
  }
}

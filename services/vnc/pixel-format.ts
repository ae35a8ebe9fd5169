// RFB pixel formats (RFC 6143 §7.4): how a client wants pixels on the wire, and the translation
// from the screen's 0x00RRGGBB words to it.

import type { ByteWriter } from "./byte-writer.js";

export interface PixelFormat {
  readonly bitsPerPixel: number;
  readonly depth: number;
  readonly bigEndian: boolean;
  readonly trueColour: boolean;
  readonly redMax: number;
  readonly greenMax: number;
  readonly blueMax: number;
  readonly redShift: number;
  readonly greenShift: number;
  readonly blueShift: number;
}

export const PIXEL_FORMAT_BYTES = 16;

/** What the server announces in ServerInit: the screen's own layout, sent without translation. */
export const SERVER_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32, depth: 24, bigEndian: false, trueColour: true,
  redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0,
};

/**
 * A colour-map client (8 bpp, true-colour flag clear) gets a fixed 256-entry map, installed with
 * SetColourMapEntries, whose index is the colour in this format ("BGR233", as libvncserver's).
 */
export const COLOUR_MAP_FORMAT: PixelFormat = {
  bitsPerPixel: 8, depth: 8, bigEndian: false, trueColour: true,
  redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6,
};

export function readPixelFormat(b: Uint8Array, offset: number): PixelFormat {
  const v = new DataView(b.buffer, b.byteOffset + offset, PIXEL_FORMAT_BYTES);
  return {
    bitsPerPixel: v.getUint8(0), depth: v.getUint8(1), bigEndian: v.getUint8(2) !== 0, trueColour: v.getUint8(3) !== 0,
    redMax: v.getUint16(4), greenMax: v.getUint16(6), blueMax: v.getUint16(8),
    redShift: v.getUint8(10), greenShift: v.getUint8(11), blueShift: v.getUint8(12),
  };
}

export function writePixelFormat(pf: PixelFormat, out: ByteWriter): void {
  out.u8(pf.bitsPerPixel).u8(pf.depth).u8(pf.bigEndian ? 1 : 0).u8(pf.trueColour ? 1 : 0);
  out.u16(pf.redMax).u16(pf.greenMax).u16(pf.blueMax);
  out.u8(pf.redShift).u8(pf.greenShift).u8(pf.blueShift).zeros(3);
}

/** Why a client's pixel format cannot be served, or undefined if it can. */
export function pixelFormatProblem(pf: PixelFormat): string | undefined {
  const bpp = pf.bitsPerPixel;
  if (bpp !== 8 && bpp !== 16 && bpp !== 32) return `${bpp} bits per pixel (allowed 8, 16, 32)`;
  if (pf.depth > bpp) return `a depth of ${pf.depth} in ${bpp} bits per pixel`;
  if (!pf.trueColour) return bpp === 8 ? undefined : `a colour map with ${bpp} bits per pixel (served only at 8)`;
  let used = 0;
  for (const [name, max, shift] of [["red", pf.redMax, pf.redShift], ["green", pf.greenMax, pf.greenShift], ["blue", pf.blueMax, pf.blueShift]] as const) {
    // A maximum is 2^n - 1: the channel is n bits wide.
    if (max === 0 || (max & (max + 1)) !== 0) return `a ${name} maximum of ${max} (not 2^n-1)`;
    const bits = Math.log2(max + 1);
    if (shift + bits > bpp) return `${name} bits ${shift} to ${shift + bits - 1} outside ${bpp} bits per pixel`;
    const mask = (2 ** bits - 1) * 2 ** shift;
    if ((used & mask) !== 0) return `${name} bits overlap another channel`;
    used |= mask;
  }
  return undefined;
}

/** The 256 colours of the map COLOUR_MAP_FORMAT indexes, as 16-bit RFB intensities. */
export function colourMapEntries(): { r: number; g: number; b: number }[] {
  const f = COLOUR_MAP_FORMAT;
  return Array.from({ length: 256 }, (_, i) => ({
    r: Math.round((((i >> f.redShift) & f.redMax) * 65535) / f.redMax),
    g: Math.round((((i >> f.greenShift) & f.greenMax) * 65535) / f.greenMax),
    b: Math.round((((i >> f.blueShift) & f.blueMax) * 65535) / f.blueMax),
  }));
}

/** Turns screen pixels into a client's pixel values and writes them in its byte order. */
export class PixelTranslator {
  readonly format: PixelFormat;
  readonly bytesPerPixel: number;
  private readonly red: Uint32Array;
  private readonly green: Uint32Array;
  private readonly blue: Uint32Array;
  /** The client's true colour is the screen's own 0x00RRGGBB: values need no lookups. */
  private readonly identity: boolean;

  /** `format` must have passed pixelFormatProblem(). */
  constructor(format: PixelFormat) {
    this.format = format;
    const f = format.trueColour ? format : COLOUR_MAP_FORMAT;
    this.identity = format.trueColour && f.redMax === 255 && f.greenMax === 255 && f.blueMax === 255 &&
      f.redShift === 16 && f.greenShift === 8 && f.blueShift === 0;
    this.bytesPerPixel = format.bitsPerPixel / 8;
    const table = (max: number, shift: number) => Uint32Array.from({ length: 256 }, (_, v) => Math.round((v * max) / 255) * 2 ** shift);
    this.red = table(f.redMax, f.redShift);
    this.green = table(f.greenMax, f.greenShift);
    this.blue = table(f.blueMax, f.blueShift);
  }

  value(rgb: number): number {
    return (this.red[(rgb >>> 16) & 255] | this.green[(rgb >>> 8) & 255] | this.blue[rgb & 255]) >>> 0;
  }

  /** The client's pixel values of a w×h area at (x, y) of an image `stride` words wide. */
  values(src: Uint32Array, stride: number, x: number, y: number, w: number, h: number): Uint32Array {
    const out = new Uint32Array(w * h);
    for (let row = 0; row < h; row++) {
      const from = (y + row) * stride + x;
      if (this.identity) {
        // The top byte of a guest's x8r8g8b8 word is padding: cleared, as value() would.
        for (let col = 0; col < w; col++) out[row * w + col] = src[from + col] & 0xffffff;
      } else {
        for (let col = 0; col < w; col++) out[row * w + col] = this.value(src[from + col]);
      }
    }
    return out;
  }

  put(out: ByteWriter, value: number): void {
    out.uint(value, this.bytesPerPixel, this.format.bigEndian);
  }
}

// ZRLE encoding (RFC 6143 §7.7.6, number 16): 64×64 tiles, each raw, solid, packed palette, plain
// RLE or palette RLE (whichever is smallest), the whole compressed with the connection's zlib
// stream.

import { ByteWriter } from "../byte-writer.js";
import type { PixelTranslator } from "../pixel-format.js";

export const ZRLE = 16;

const SIDE = 64;
const RAW = 0;
const SOLID = 1;
const PLAIN_RLE = 128;
const PALETTE_RLE_BASE = 128;
const MAX_PACKED_PALETTE = 16;
const MAX_RLE_PALETTE = 127;

/**
 * How a client's pixel is written in ZRLE ("CPIXEL"): 3 bytes for 32-bit true colour of depth 24
 * or less whose colour bits fit in the value's low or high 3 bytes, else the pixel as it is.
 */
export function compactPixel(px: PixelTranslator): { bytes: number; put(out: ByteWriter, v: number): void } {
  const f = px.format;
  if (f.trueColour && f.bitsPerPixel === 32 && f.depth <= 24) {
    const max = px.value(0xffffff);
    const low = max < 2 ** 24;
    const high = (max & 255) === 0;
    if (low || high) {
      // With both possible, the 3 bytes that come first on the wire win (as in libvncserver and
      // TigerVNC).
      const shift = (f.bigEndian ? !high : low) ? 0 : 8;
      return { bytes: 3, put: (out, v) => out.uint(v >>> shift, 3, f.bigEndian) };
    }
  }
  return { bytes: px.bytesPerPixel, put: (out, v) => px.put(out, v) };
}

/** Bytes a run length takes: (length - 1) as a sum of bytes, 255 meaning "more follow". */
function runLengthBytes(length: number): number {
  return Math.floor((length - 1) / 255) + 1;
}

function putRunLength(out: ByteWriter, length: number): void {
  let rest = length - 1;
  for (; rest >= 255; rest -= 255) out.u8(255);
  out.u8(rest);
}

function encodeTile(tile: Uint32Array, w: number, h: number, cp: ReturnType<typeof compactPixel>, out: ByteWriter): void {
  // Most tiles of a real screen are one colour: tell those at the cost of one compare a pixel.
  const first = tile[0];
  if (tile.every((v) => v === first)) {
    out.u8(SOLID);
    cp.put(out, first);
    return;
  }
  const palette = new Map<number, number>();
  const runs: { value: number; length: number }[] = [];
  for (const v of tile) {
    if (palette.size <= MAX_RLE_PALETTE && !palette.has(v)) palette.set(v, palette.size);
    const last = runs[runs.length - 1];
    if (last !== undefined && last.value === v) last.length++;
    else runs.push({ value: v, length: 1 });
  }
  if (palette.size === 1) {
    out.u8(SOLID);
    cp.put(out, tile[0]);
    return;
  }
  const n = palette.size;
  const bits = n <= 2 ? 1 : n <= 4 ? 2 : 4;
  const size = {
    raw: tile.length * cp.bytes,
    packed: n <= MAX_PACKED_PALETTE ? n * cp.bytes + h * Math.ceil((w * bits) / 8) : Infinity,
    plainRle: runs.reduce((s, r) => s + cp.bytes + runLengthBytes(r.length), 0),
    paletteRle: n <= MAX_RLE_PALETTE ? n * cp.bytes + runs.reduce((s, r) => s + (r.length === 1 ? 1 : 1 + runLengthBytes(r.length)), 0) : Infinity,
  };
  const best = Math.min(size.raw, size.packed, size.plainRle, size.paletteRle);
  if (best === size.raw) {
    out.u8(RAW);
    for (const v of tile) cp.put(out, v);
  } else if (best === size.packed) {
    out.u8(n);
    for (const v of palette.keys()) cp.put(out, v);
    for (let y = 0; y < h; y++) {
      // Indices are packed from the most significant bit, each row starting on a byte.
      let byte = 0;
      let used = 0;
      for (let x = 0; x < w; x++) {
        byte = (byte << bits) | (palette.get(tile[y * w + x]) ?? 0);
        used += bits;
        if (used === 8) {
          out.u8(byte);
          byte = 0;
          used = 0;
        }
      }
      if (used > 0) out.u8(byte << (8 - used));
    }
  } else if (best === size.plainRle) {
    out.u8(PLAIN_RLE);
    for (const r of runs) {
      cp.put(out, r.value);
      putRunLength(out, r.length);
    }
  } else {
    out.u8(PALETTE_RLE_BASE + n);
    for (const v of palette.keys()) cp.put(out, v);
    for (const r of runs) {
      const index = palette.get(r.value) ?? 0;
      if (r.length === 1) {
        out.u8(index);
      } else {
        out.u8(index | 128);
        putRunLength(out, r.length);
      }
    }
  }
}

/** The uncompressed ZRLE data of `values` (a w×h area of client pixel values). */
export function zrleTiles(values: Uint32Array, w: number, h: number, px: PixelTranslator): Uint8Array {
  const cp = compactPixel(px);
  const out = new ByteWriter(1024);
  for (let ty = 0; ty < h; ty += SIDE) {
    for (let tx = 0; tx < w; tx += SIDE) {
      const tw = Math.min(SIDE, w - tx);
      const th = Math.min(SIDE, h - ty);
      const tile = new Uint32Array(tw * th);
      for (let row = 0; row < th; row++) tile.set(values.subarray((ty + row) * w + tx, (ty + row) * w + tx + tw), row * tw);
      encodeTile(tile, tw, th, cp, out);
    }
  }
  return out.take();
}

// Hextile encoding (RFC 6143 §7.7.4, number 5): 16×16 tiles, each raw or as a background colour
// with subrectangles. A tile of one colour costs a byte when its colour is the previous tile's.

import type { ByteWriter } from "../byte-writer.js";
import type { PixelTranslator } from "../pixel-format.js";
import { encodeRaw } from "./raw.js";

export const HEXTILE = 5;

const RAW_TILE = 1;
const BACKGROUND_SPECIFIED = 2;
const FOREGROUND_SPECIFIED = 4;
const ANY_SUBRECTS = 8;
const SUBRECTS_COLOURED = 16;
const SIDE = 16;

interface Subrect {
  readonly colour: number;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** The most frequent value of a tile, and how many different values it has (up to 3). */
/** More distinct colours than this in a 16x16 tile: subrectangles cannot beat sending it raw. */
const MANY_COLOURS = 64;

function survey(tile: Uint32Array): { background: number; colours: number } {
  // Most tiles of a real screen are one colour: tell those at the cost of one compare a pixel.
  const first = tile[0];
  if (tile.every((v) => v === first)) return { background: first, colours: 1 };
  const counts = new Map<number, number>();
  let background = tile[0];
  let best = 0;
  for (const v of tile) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (counts.size > MANY_COLOURS) return { background, colours: Infinity };
    if (n > best) {
      best = n;
      background = v;
    }
  }
  return { background, colours: Math.min(counts.size, 3) };
}

/**
 * Covers the tile's non-background pixels with one-colour rectangles, greedily: from each
 * uncovered pixel, the longest run in its row, extended down as far as the whole run matches.
 * Stops once more than `limit` are needed.
 */
function subrects(tile: Uint32Array, w: number, h: number, background: number, limit: number): Subrect[] {
  const covered = new Uint8Array(w * h);
  const out: Subrect[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const colour = tile[y * w + x];
      if (colour === background || covered[y * w + x] === 1) continue;
      let rw = 1;
      while (x + rw < w && tile[y * w + x + rw] === colour && covered[y * w + x + rw] === 0) rw++;
      let rh = 1;
      extend: while (y + rh < h) {
        for (let i = 0; i < rw; i++) if (tile[(y + rh) * w + x + i] !== colour) break extend;
        rh++;
      }
      for (let row = y; row < y + rh; row++) covered.fill(1, row * w + x, row * w + x + rw);
      out.push({ colour, x, y, w: rw, h: rh });
      if (out.length > limit) return out;
    }
  }
  return out;
}

/** Writes `values` (a w×h area of client pixel values) as a Hextile rectangle's data. */
export function encodeHextile(values: Uint32Array, w: number, h: number, px: PixelTranslator, out: ByteWriter): void {
  const bpp = px.bytesPerPixel;
  // The colours the client carries from tile to tile; undefined after a tile that leaves them unset.
  let background: number | undefined;
  let foreground: number | undefined;
  for (let ty = 0; ty < h; ty += SIDE) {
    for (let tx = 0; tx < w; tx += SIDE) {
      const tw = Math.min(SIDE, w - tx);
      const th = Math.min(SIDE, h - ty);
      const tile = new Uint32Array(tw * th);
      for (let row = 0; row < th; row++) tile.set(values.subarray((ty + row) * w + tx, (ty + row) * w + tx + tw), row * tw);
      const s = survey(tile);
      const flags0 = s.background === background ? 0 : BACKGROUND_SPECIFIED;
      if (s.colours === 1) {
        out.u8(flags0);
        if (flags0 !== 0) px.put(out, s.background);
        background = s.background;
        continue;
      }
      const rawSize = tw * th * bpp;
      // The subrectangle count is a byte; past what a raw tile costs they are not worth it.
      const mono = s.colours === 2;
      const perRect = mono ? 2 : 2 + bpp;
      const rects = s.colours === Infinity ? [] : subrects(tile, tw, th, s.background, Math.min(255, Math.floor(rawSize / perRect)));
      const fg = rects[0]?.colour;
      const fgFlag = mono && fg !== foreground ? FOREGROUND_SPECIFIED : 0;
      const size = (flags0 !== 0 ? bpp : 0) + (fgFlag !== 0 ? bpp : 0) + 1 + rects.length * perRect;
      if (rects.length === 0 || rects.length > 255 || size >= rawSize) {
        out.u8(RAW_TILE);
        encodeRaw(tile, px, out);
        background = undefined;
        foreground = undefined;
        continue;
      }
      out.u8(flags0 | fgFlag | ANY_SUBRECTS | (mono ? 0 : SUBRECTS_COLOURED));
      if (flags0 !== 0) px.put(out, s.background);
      if (fgFlag !== 0) px.put(out, fg);
      out.u8(rects.length);
      for (const r of rects) {
        if (!mono) px.put(out, r.colour);
        out.u8((r.x << 4) | r.y).u8(((r.w - 1) << 4) | (r.h - 1));
      }
      background = s.background;
      foreground = mono ? fg : undefined;
    }
  }
}

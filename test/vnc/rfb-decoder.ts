// A client-side decoder for what services/vnc sends, written from RFC 6143 independently of the
// server's code: Raw, CopyRect, Hextile and ZRLE rectangles, the Cursor and DesktopSize
// pseudo-encodings. Used by the encodings' unit tests and by the test client.

import { constants, inflateSync } from "node:zlib";
import type { PixelFormat } from "../../services/vnc/pixel-format.js";

/** Reads a byte stream that arrives in pieces; each read waits until its bytes are there. */
export class StreamReader {
  private buf = Buffer.alloc(0);
  private ended: Error | undefined;
  private wake: (() => void) | undefined;

  push(chunk: Uint8Array): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    this.wake?.();
  }

  end(why = new Error("the stream ended")): void {
    this.ended = why;
    this.wake?.();
  }

  get available(): number {
    return this.buf.length;
  }

  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended !== undefined) throw this.ended;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async u8(): Promise<number> {
    return (await this.read(1))[0];
  }

  async u16(): Promise<number> {
    return (await this.read(2)).readUInt16BE(0);
  }

  async u32(): Promise<number> {
    return (await this.read(4)).readUInt32BE(0);
  }

  async s32(): Promise<number> {
    return (await this.read(4)).readInt32BE(0);
  }
}

/** A client's framebuffer: pixel values in its own pixel format. */
export class Framebuffer {
  pixels: Uint32Array;
  constructor(public width: number, public height: number) {
    this.pixels = new Uint32Array(width * height);
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.pixels = new Uint32Array(width * height);
  }
}

export interface RectHeader {
  x: number;
  y: number;
  w: number;
  h: number;
  encoding: number;
}

export interface CursorShape {
  hotX: number;
  hotY: number;
  width: number;
  height: number;
  pixels: Uint32Array;
  mask: Uint8Array;
}

/** The value a pixel of colour 0x00RRGGBB has in `pf`, for true-colour formats. */
export function expectedValue(pf: PixelFormat, rgb: number): number {
  const ch = (c: number, max: number, shift: number) => Math.round((c * max) / 255) * 2 ** shift;
  return ch((rgb >> 16) & 255, pf.redMax, pf.redShift) + ch((rgb >> 8) & 255, pf.greenMax, pf.greenShift) + ch(rgb & 255, pf.blueMax, pf.blueShift);
}

function pixelAt(b: Uint8Array, offset: number, bytes: number, bigEndian: boolean): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v += b[offset + i] * 2 ** (8 * (bigEndian ? bytes - 1 - i : i));
  return v;
}

/** ZRLE's one zlib stream per connection: inflates everything so far and returns what is new. */
export class ZrleInflater {
  private compressed: Buffer[] = [];
  private seen = 0;

  inflate(chunk: Uint8Array): Buffer {
    this.compressed.push(Buffer.from(chunk));
    const all = inflateSync(Buffer.concat(this.compressed), { finishFlush: constants.Z_SYNC_FLUSH });
    const fresh = all.subarray(this.seen);
    this.seen = all.length;
    return fresh;
  }
}

export class RectDecoder {
  readonly zrle = new ZrleInflater();
  cursor: CursorShape | undefined;
  constructor(public format: PixelFormat) {}

  private get bpp(): number {
    return this.format.bitsPerPixel / 8;
  }

  private async pixel(r: StreamReader): Promise<number> {
    return pixelAt(await r.read(this.bpp), 0, this.bpp, this.format.bigEndian);
  }

  /** Reads the data of one rectangle and applies it to `fb`. */
  async decode(r: StreamReader, h: RectHeader, fb: Framebuffer): Promise<void> {
    switch (h.encoding) {
      case 0: {
        const data = await r.read(h.w * h.h * this.bpp);
        for (let i = 0; i < h.w * h.h; i++) this.put(fb, h.x + (i % h.w), h.y + Math.floor(i / h.w), pixelAt(data, i * this.bpp, this.bpp, this.format.bigEndian));
        return;
      }
      case 1: {
        const sx = await r.u16();
        const sy = await r.u16();
        const copy = new Uint32Array(h.w * h.h);
        for (let y = 0; y < h.h; y++) for (let x = 0; x < h.w; x++) copy[y * h.w + x] = fb.pixels[(sy + y) * fb.width + sx + x];
        for (let y = 0; y < h.h; y++) for (let x = 0; x < h.w; x++) this.put(fb, h.x + x, h.y + y, copy[y * h.w + x]);
        return;
      }
      case 5:
        return this.hextile(r, h, fb);
      case 16: {
        const length = await r.u32();
        this.zrleTiles(this.zrle.inflate(await r.read(length)), h, fb);
        return;
      }
      case -239: {
        const pixels = new Uint32Array(h.w * h.h);
        for (let i = 0; i < pixels.length; i++) pixels[i] = await this.pixel(r);
        const rowBytes = Math.ceil(h.w / 8);
        const bits = await r.read(rowBytes * h.h);
        const mask = new Uint8Array(h.w * h.h);
        for (let y = 0; y < h.h; y++) for (let x = 0; x < h.w; x++) mask[y * h.w + x] = (bits[y * rowBytes + (x >> 3)] >> (7 - (x & 7))) & 1;
        this.cursor = { hotX: h.x, hotY: h.y, width: h.w, height: h.h, pixels, mask };
        return;
      }
      case -223:
        fb.resize(h.w, h.h);
        return;
      default:
        throw new Error(`the server sent encoding ${h.encoding}`);
    }
  }

  private put(fb: Framebuffer, x: number, y: number, v: number): void {
    if (x >= fb.width || y >= fb.height) throw new Error(`a pixel at (${x},${y}) outside the ${fb.width}x${fb.height} framebuffer`);
    fb.pixels[y * fb.width + x] = v;
  }

  private async hextile(r: StreamReader, h: RectHeader, fb: Framebuffer): Promise<void> {
    let bg = 0;
    let fg = 0;
    for (let ty = h.y; ty < h.y + h.h; ty += 16) {
      for (let tx = h.x; tx < h.x + h.w; tx += 16) {
        const tw = Math.min(16, h.x + h.w - tx);
        const th = Math.min(16, h.y + h.h - ty);
        const flags = await r.u8();
        if (flags & 1) {
          for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) this.put(fb, tx + x, ty + y, await this.pixel(r));
          continue;
        }
        if (flags & 2) bg = await this.pixel(r);
        if (flags & 4) fg = await this.pixel(r);
        for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) this.put(fb, tx + x, ty + y, bg);
        if (!(flags & 8)) continue;
        const n = await r.u8();
        for (let i = 0; i < n; i++) {
          const colour = flags & 16 ? await this.pixel(r) : fg;
          const xy = await r.u8();
          const wh = await r.u8();
          const sx = xy >> 4;
          const sy = xy & 15;
          const sw = (wh >> 4) + 1;
          const sh = (wh & 15) + 1;
          if (sx + sw > tw || sy + sh > th) throw new Error(`a hextile subrectangle leaves its ${tw}x${th} tile`);
          for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) this.put(fb, tx + sx + x, ty + sy + y, colour);
        }
      }
    }
  }

  /** The CPIXEL rule of RFC 6143 §7.7.6. */
  private compact(): { bytes: number; read(b: Uint8Array, o: number): number } {
    const f = this.format;
    const max = expectedValue(f, 0xffffff);
    const low = max < 2 ** 24;
    const high = max % 256 === 0;
    if (f.trueColour && f.bitsPerPixel === 32 && f.depth <= 24 && (low || high)) {
      const useLow = f.bigEndian ? !high : low;
      return { bytes: 3, read: (b, o) => pixelAt(b, o, 3, f.bigEndian) * (useLow ? 1 : 256) };
    }
    return { bytes: this.bpp, read: (b, o) => pixelAt(b, o, this.bpp, f.bigEndian) };
  }

  private zrleTiles(data: Buffer, h: RectHeader, fb: Framebuffer): void {
    const cp = this.compact();
    let o = 0;
    const need = (n: number) => {
      if (o + n > data.length) throw new Error("ZRLE data ends inside a tile");
    };
    const cpixel = () => {
      need(cp.bytes);
      const v = cp.read(data, o);
      o += cp.bytes;
      return v;
    };
    const byte = () => {
      need(1);
      return data[o++];
    };
    const runLength = () => {
      let len = 1;
      for (let b = byte(); ; b = byte()) {
        len += b;
        if (b !== 255) return len;
      }
    };
    for (let ty = h.y; ty < h.y + h.h; ty += 64) {
      for (let tx = h.x; tx < h.x + h.w; tx += 64) {
        const tw = Math.min(64, h.x + h.w - tx);
        const th = Math.min(64, h.y + h.h - ty);
        const tile = new Uint32Array(tw * th);
        const sub = byte();
        const palette: number[] = [];
        if (sub === 0) {
          for (let i = 0; i < tile.length; i++) tile[i] = cpixel();
        } else if (sub === 1) {
          tile.fill(cpixel());
        } else if (sub <= 16) {
          for (let i = 0; i < sub; i++) palette.push(cpixel());
          const bits = sub <= 2 ? 1 : sub <= 4 ? 2 : 4;
          for (let y = 0; y < th; y++) {
            let bitPos = 0;
            const rowStart = o;
            need(Math.ceil((tw * bits) / 8));
            for (let x = 0; x < tw; x++) {
              const b = data[rowStart + (bitPos >> 3)];
              const index = (b >> (8 - bits - (bitPos & 7))) & ((1 << bits) - 1);
              tile[y * tw + x] = palette[index];
              bitPos += bits;
            }
            o = rowStart + Math.ceil((tw * bits) / 8);
          }
        } else if (sub === 128) {
          for (let i = 0; i < tile.length;) {
            const v = cpixel();
            const len = runLength();
            if (i + len > tile.length) throw new Error("a ZRLE run leaves its tile");
            tile.fill(v, i, i + len);
            i += len;
          }
        } else if (sub >= 130) {
          for (let i = 0; i < sub - 128; i++) palette.push(cpixel());
          for (let i = 0; i < tile.length;) {
            const b = byte();
            const len = b & 128 ? runLength() : 1;
            if (i + len > tile.length) throw new Error("a ZRLE run leaves its tile");
            tile.fill(palette[b & 127], i, i + len);
            i += len;
          }
        } else {
          throw new Error(`ZRLE subencoding ${sub}`);
        }
        for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) this.put(fb, tx + x, ty + y, tile[y * tw + x]);
      }
    }
    if (o !== data.length) throw new Error(`${data.length - o} bytes left after the ZRLE tiles`);
  }
}

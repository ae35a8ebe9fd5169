// Each encoding, decoded by the independent decoder in test/vnc/rfb-decoder.ts, gives back the
// screen's pixels in the client's format: for several pixel formats and many images (solid,
// few colours, gradients, noise, odd sizes that leave partial tiles).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteWriter } from "../byte-writer.js";
import { COLOUR_MAP_FORMAT, PixelTranslator, SERVER_PIXEL_FORMAT, type PixelFormat } from "../pixel-format.js";
import { ZlibStream } from "../zlib-stream.js";
import { encodeCopyRect } from "./copyrect.js";
import { encodeHextile, HEXTILE } from "./hextile.js";
import { encodeRaw, RAW } from "./raw.js";
import { zrleTiles, ZRLE } from "./zrle.js";
import { expectedValue, Framebuffer, RectDecoder, StreamReader } from "../../../test/vnc/rfb-decoder.js";
import { pixelDifference } from "../../../test/vnc/serve.js";

const tc = (f: Partial<PixelFormat>): PixelFormat => ({ ...SERVER_PIXEL_FORMAT, ...f });

const FORMATS: Record<string, PixelFormat> = {
  "32 bpp x8r8g8b8 little-endian (the screen's own)": SERVER_PIXEL_FORMAT,
  "32 bpp big-endian": tc({ bigEndian: true }),
  "32 bpp r8g8b8x8 (colour in the high bytes)": tc({ redShift: 24, greenShift: 16, blueShift: 8 }),
  "32 bpp r8g8b8x8 big-endian": tc({ bigEndian: true, redShift: 24, greenShift: 16, blueShift: 8 }),
  "32 bpp x8b8g8r8": tc({ redShift: 0, blueShift: 16 }),
  "32 bpp 10-bit channels, depth 30": tc({ depth: 30, redMax: 1023, greenMax: 1023, blueMax: 1023, redShift: 20, greenShift: 10, blueShift: 0 }),
  "16 bpp r5g6b5 little-endian": tc({ bitsPerPixel: 16, depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 }),
  "16 bpp x1r5g5b5 big-endian": tc({ bitsPerPixel: 16, depth: 15, bigEndian: true, redMax: 31, greenMax: 31, blueMax: 31, redShift: 10, greenShift: 5, blueShift: 0 }),
  "8 bpp b2g3r3": COLOUR_MAP_FORMAT,
  "8 bpp colour map": { ...COLOUR_MAP_FORMAT, trueColour: false },
};

/** Images as 0x00RRGGBB words, from a few colours (palette encodings) to noise (raw tiles). */
const images = fc.record({
  w: fc.integer({ min: 1, max: 150 }),
  h: fc.integer({ min: 1, max: 100 }),
  colours: fc.array(fc.integer({ min: 0, max: 0xffffff }), { minLength: 1, maxLength: 200 }),
  style: fc.constantFrom("blocks", "noise", "gradient", "runs"),
  seed: fc.integer(),
}).map(({ w, h, colours, style, seed }) => {
  const px = new Uint32Array(w * h);
  let s = seed >>> 0;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < px.length; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    if (style === "blocks") px[i] = colours[(Math.floor(x / 7) + Math.floor(y / 5)) % colours.length];
    else if (style === "noise") px[i] = colours[rand() % colours.length];
    else if (style === "gradient") px[i] = ((x * 255) / w) << 16 | ((y * 255) / h) << 8 | (i & 255);
    else px[i] = colours[Math.floor(i / (1 + (seed & 63))) % colours.length];
  }
  return { w, h, px };
});

type Encode = (values: Uint32Array, w: number, h: number, px: PixelTranslator, zlib: ZlibStream) => Promise<Uint8Array>;

const ENCODERS: Record<string, { number: number; encode: Encode }> = {
  Raw: { number: RAW, encode: async (v, _w, _h, px) => { const o = new ByteWriter(); encodeRaw(v, px, o); return o.take(); } },
  Hextile: { number: HEXTILE, encode: async (v, w, h, px) => { const o = new ByteWriter(); encodeHextile(v, w, h, px, o); return o.take(); } },
  ZRLE: {
    number: ZRLE,
    encode: async (v, w, h, px, zlib) => {
      const data = await zlib.compress(zrleTiles(v, w, h, px));
      return new ByteWriter().u32(data.length).bytes(data).take();
    },
  },
};

async function roundTrip(name: string, pf: PixelFormat, images: { w: number; h: number; px: Uint32Array }[]): Promise<void> {
  const px = new PixelTranslator(pf);
  const decoder = new RectDecoder(pf);
  const zlib = new ZlibStream();
  try {
    for (const img of images) {
      const data = await ENCODERS[name].encode(px.values(img.px, img.w, 0, 0, img.w, img.h), img.w, img.h, px, zlib);
      const reader = new StreamReader();
      reader.push(data);
      reader.end();
      const fb = new Framebuffer(img.w, img.h);
      await decoder.decode(reader, { x: 0, y: 0, w: img.w, h: img.h, encoding: ENCODERS[name].number }, fb);
      expect(reader.available).toBe(0);
      const expected = Uint32Array.from(img.px, (rgb) => expectedValue(pf.trueColour ? pf : COLOUR_MAP_FORMAT, rgb));
      expect(pixelDifference(fb.pixels, expected, img.w)).toBe("equal");
    }
  } finally {
    zlib.close();
  }
}

describe.each(Object.keys(ENCODERS))("%s", (name) => {
  it.each(Object.keys(FORMATS))("decodes to the screen's pixels in %s", async (format) => {
    // One zlib stream across all the images: ZRLE rectangles continue one stream.
    const samples = fc.sample(images, { numRuns: 40, seed: 42 });
    await roundTrip(name, FORMATS[format], samples);
  });

  it("decodes a solid screen and a two-colour checkerboard", async () => {
    const solid = { w: 100, h: 70, px: new Uint32Array(7000).fill(0x336699) };
    const checker = { w: 64, h: 64, px: Uint32Array.from({ length: 4096 }, (_, i) => (((i % 64) ^ (i >> 6)) & 1 ? 0xffffff : 0)) };
    await roundTrip(name, SERVER_PIXEL_FORMAT, [solid, checker, solid]);
  });
});

describe("compression", () => {
  it("Hextile sends a solid screen as a byte a tile after the first", () => {
    const px = new PixelTranslator(SERVER_PIXEL_FORMAT);
    const out = new ByteWriter();
    encodeHextile(new Uint32Array(64 * 64).fill(0x123456), 64, 64, px, out);
    expect(out.length).toBe(1 + 4 + 15);
  });

  it("ZRLE sends a solid tile as one compact pixel, and picks the palette for few colours", () => {
    const px = new PixelTranslator(SERVER_PIXEL_FORMAT);
    expect([...zrleTiles(new Uint32Array(64 * 64).fill(0x123456), 64, 64, px)]).toEqual([1, 0x56, 0x34, 0x12]);
    const two = zrleTiles(Uint32Array.from({ length: 64 * 64 }, (_, i) => (i % 3 === 0 ? 0xff0000 : 0x00ff00)), 64, 64, px);
    // Subencoding 2: two palette entries, then a bit a pixel.
    expect(two[0]).toBe(2);
    expect(two.length).toBe(1 + 2 * 3 + 64 * 8);
  });

  it("CopyRect is the source position", () => {
    const out = new ByteWriter();
    encodeCopyRect(300, 2, out);
    expect([...out.take()]).toEqual([1, 44, 0, 2]);
  });
});

// Raw encoding (RFC 6143 §7.7.1, number 0): every pixel of the rectangle, row after row.

import type { ByteWriter } from "../byte-writer.js";
import type { PixelTranslator } from "../pixel-format.js";

export const RAW = 0;

/** Writes `values` (a w×h area of client pixel values) as a Raw rectangle's data. */
export function encodeRaw(values: Uint32Array, px: PixelTranslator, out: ByteWriter): void {
  // 32-bit little-endian pixels (what most clients ask for) are the words' own bytes on the
  // little-endian hosts Node runs on: one copy instead of a call per pixel.
  if (px.bytesPerPixel === 4 && !px.format.bigEndian) {
    out.bytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return;
  }
  for (const v of values) px.put(out, v);
}

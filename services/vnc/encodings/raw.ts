// Raw encoding (RFC 6143 §7.7.1, number 0): every pixel of the rectangle, row after row.

import type { ByteWriter } from "../byte-writer.js";
import type { PixelTranslator } from "../pixel-format.js";

export const RAW = 0;

/** Writes `values` (a w×h area of client pixel values) as a Raw rectangle's data. */
export function encodeRaw(values: Uint32Array, px: PixelTranslator, out: ByteWriter): void {
  for (const v of values) px.put(out, v);
}

// CopyRect encoding (RFC 6143 §7.7.2, number 1): the client copies the rectangle from (srcX, srcY)
// of its own framebuffer, so a scroll costs 4 bytes instead of the pixels.

import type { ByteWriter } from "../byte-writer.js";

export const COPY_RECT = 1;

export function encodeCopyRect(srcX: number, srcY: number, out: ByteWriter): void {
  out.u16(srcX).u16(srcY);
}

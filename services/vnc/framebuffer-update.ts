// One FramebufferUpdate message (RFC 6143 §7.6.1): the rectangles a client has not seen, in its
// pixel format and preferred encoding, with CopyRect and the Cursor and DesktopSize
// pseudo-encodings. Pixels are read when the update is built, so it shows one moment of the
// screen even though ZRLE's compression finishes later.

import { ByteWriter } from "./byte-writer.js";
import { encodeCopyRect, COPY_RECT } from "./encodings/copyrect.js";
import { encodeHextile, HEXTILE } from "./encodings/hextile.js";
import { encodeRaw, RAW } from "./encodings/raw.js";
import { zrleTiles, ZRLE } from "./encodings/zrle.js";
import type { PixelTranslator } from "./pixel-format.js";
import type { Cursor, Rect, Screen } from "./screen.js";
import type { ZlibStream } from "./zlib-stream.js";

export const DESKTOP_SIZE = -223;
export const CURSOR = -239;
export const PIXEL_ENCODINGS = [RAW, HEXTILE, ZRLE] as const;
export type PixelEncoding = (typeof PIXEL_ENCODINGS)[number];

const FRAMEBUFFER_UPDATE = 0;

export interface UpdatePlan {
  /** The new size: a client that supports DesktopSize gets it in an update of its own. */
  readonly desktopSize?: { readonly w: number; readonly h: number };
  /** The pointer's new image; null hides it. */
  readonly cursor?: Cursor | null;
  /** A CopyRect, applied by the client before the rectangles. */
  readonly copy?: { readonly srcX: number; readonly srcY: number; readonly rect: Rect };
  readonly rects: readonly Rect[];
  readonly encoding: PixelEncoding;
}

function header(out: ByteWriter, r: Rect, encoding: number): void {
  out.u16(r.x).u16(r.y).u16(r.w).u16(r.h).s32(encoding);
}

function putCursor(out: ByteWriter, cursor: Cursor | null, px: PixelTranslator): void {
  if (cursor === null) {
    header(out, { x: 0, y: 0, w: 0, h: 0 }, CURSOR);
    return;
  }
  const { width: w, height: h } = cursor;
  header(out, { x: cursor.hotX, y: cursor.hotY, w, h }, CURSOR);
  for (let i = 0; i < w * h; i++) px.put(out, px.value(cursor.pixels[i]));
  // The mask: a bit a pixel, rows padded to a byte, most significant bit first.
  const rowBytes = Math.ceil(w / 8);
  for (let y = 0; y < h; y++) {
    const row = new Uint8Array(rowBytes);
    for (let x = 0; x < w; x++) if (cursor.mask[y * w + x] !== 0) row[x >> 3] |= 0x80 >> (x & 7);
    out.bytes(row);
  }
}

/** The message's bytes, in order; ZRLE needs the connection's zlib stream. */
export async function encodeUpdate(screen: Screen, plan: UpdatePlan, px: PixelTranslator, zlib: () => ZlibStream): Promise<Uint8Array[]> {
  const out = new ByteWriter(4096);
  const count = (plan.desktopSize !== undefined ? 1 : 0) + (plan.cursor !== undefined ? 1 : 0) + (plan.copy !== undefined ? 1 : 0) + plan.rects.length;
  out.u8(FRAMEBUFFER_UPDATE).u8(0).u16(count);
  if (plan.desktopSize !== undefined) header(out, { x: 0, y: 0, ...plan.desktopSize }, DESKTOP_SIZE);
  if (plan.cursor !== undefined) putCursor(out, plan.cursor, px);
  if (plan.copy !== undefined) {
    header(out, plan.copy.rect, COPY_RECT);
    encodeCopyRect(plan.copy.srcX, plan.copy.srcY, out);
  }
  // ZRLE rectangles wait for compression: everything is read now, then compressed in order.
  const parts: (Uint8Array | { zrle: Uint8Array })[] = [];
  for (const r of plan.rects) {
    header(out, r, plan.encoding);
    const values = px.values(screen.pixels, screen.width, r.x, r.y, r.w, r.h);
    if (plan.encoding === RAW) encodeRaw(values, px, out);
    else if (plan.encoding === HEXTILE) encodeHextile(values, r.w, r.h, px, out);
    else {
      parts.push(out.take(), { zrle: zrleTiles(values, r.w, r.h, px) });
    }
  }
  parts.push(out.take());
  const message: Uint8Array[] = [];
  for (const p of parts) {
    if (p instanceof Uint8Array) {
      if (p.length > 0) message.push(p);
      continue;
    }
    const data = await zlib().compress(p.zrle);
    message.push(new ByteWriter(4).u32(data.length).take(), data);
  }
  return message;
}

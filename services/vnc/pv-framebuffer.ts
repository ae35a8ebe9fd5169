// A PV guest's framebuffer (Xen's fbif, kernel/public/xen/fbif.ts) as the backend reads it. The
// backend cannot map the guest's pages, so it copies: the shared page once (mode and directory),
// then, for every update event the guest sends, the pages that hold the changed lines, through
// the kernel's grant reads. What it reads it draws on the domain's Screen.

import {
  XENFB_DEPTH, XENFB_OUT_EVENT_SIZE, XENFB_OUT_RING_OFFS, XENFB_OUT_RING_SIZE, XENFB_PAGE_DEPTH, XENFB_PAGE_HEIGHT,
  XENFB_PAGE_LINE_LENGTH, XENFB_PAGE_MEM_LENGTH, XENFB_PAGE_OUT_CONS, XENFB_PAGE_OUT_PROD, XENFB_PAGE_PD,
  XENFB_PAGE_WIDTH, XENFB_PD_ENTRIES, XENFB_TYPE_UPDATE, XENFB_UPDATE_HEIGHT, XENFB_UPDATE_WIDTH, XENFB_UPDATE_X,
  XENFB_UPDATE_Y,
} from "../../kernel/public/xen/fbif.js";
import type { GrantSegmentSpec } from "../../kernel/public/protocol.js";
import type { KernelPort } from "../common/kernel-port.js";
import type { Rect, Screen } from "./screen.js";

const PAGE = 4096;
const REFS_PER_PAGE = PAGE / 4;
/** 51 events of 40 bytes in the 2048-byte ring (Xen's XENFB_OUT_RING_LEN, rounded down). */
const OUT_SLOTS = Math.floor(XENFB_OUT_RING_SIZE / XENFB_OUT_EVENT_SIZE);
/** The largest framebuffer served: 2048x2048 at 32 bits. */
const MAX_FB_BYTES = 16 * 1024 * 1024;

export class FramebufferError extends Error {
  override name = "FramebufferError";
}

export interface FramebufferMode {
  readonly width: number;
  readonly height: number;
  readonly lineLength: number;
}

export class PvFramebuffer {
  private constructor(
    private readonly kernel: KernelPort,
    private readonly domid: number,
    private readonly pageRef: number,
    readonly mode: FramebufferMode,
    /** The grant of every framebuffer page, in order. */
    private readonly pages: readonly number[],
  ) {}

  /** Read the shared page and its directory; a mode Domus cannot show is refused with the reason. */
  static async open(kernel: KernelPort, domid: number, pageRef: number): Promise<PvFramebuffer> {
    const page = await kernel.grantRead(domid, [{ ref: pageRef, offset: 0, len: PAGE }]);
    const v = new DataView(page.buffer, page.byteOffset, PAGE);
    const width = v.getInt32(XENFB_PAGE_WIDTH, true);
    const height = v.getInt32(XENFB_PAGE_HEIGHT, true);
    const lineLength = v.getUint32(XENFB_PAGE_LINE_LENGTH, true);
    const memLength = v.getUint32(XENFB_PAGE_MEM_LENGTH, true);
    const depth = v.getUint8(XENFB_PAGE_DEPTH);
    if (depth !== XENFB_DEPTH) throw new FramebufferError(`depth ${depth}: only ${XENFB_DEPTH}-bit x8r8g8b8 is served`);
    if (width < 1 || height < 1 || width > 2048 || height > 2048) throw new FramebufferError(`a ${width}x${height} framebuffer (allowed 1..2048 each way)`);
    if (lineLength < width * 4 || lineLength % 4 !== 0) throw new FramebufferError(`line_length ${lineLength} for a width of ${width}`);
    if (memLength < lineLength * height || memLength > MAX_FB_BYTES) throw new FramebufferError(`mem_length ${memLength} for ${height} lines of ${lineLength} bytes`);
    const pageCount = Math.ceil(memLength / PAGE);
    const dirCount = Math.ceil(pageCount / REFS_PER_PAGE);
    if (dirCount > XENFB_PD_ENTRIES) throw new FramebufferError(`${pageCount} pages need more than ${XENFB_PD_ENTRIES} directory pages`);
    const dirRefs = Array.from({ length: dirCount }, (_, i) => v.getUint32(XENFB_PAGE_PD + 4 * i, true));
    const dirs = await kernel.grantRead(domid, dirRefs.map((ref) => ({ ref, offset: 0, len: PAGE })));
    const dv = new DataView(dirs.buffer, dirs.byteOffset, dirs.byteLength);
    const pages = Array.from({ length: pageCount }, (_, i) => dv.getUint32(4 * i, true));
    return new PvFramebuffer(kernel, domid, pageRef, { width, height, lineLength }, pages);
  }

  /** Copy lines [y, y + h) from the guest onto the screen: all of each line, or columns [x0, x1). */
  async draw(screen: Screen, y: number, h: number, x0 = 0, x1 = this.mode.width): Promise<void> {
    const { width, height, lineLength } = this.mode;
    const top = Math.max(0, y);
    const bottom = Math.min(height, y + h);
    if (bottom <= top) return;
    const from = top * lineLength;
    const to = bottom * lineLength;
    const segments: GrantSegmentSpec[] = [];
    for (let at = from; at < to;) {
      const page = Math.floor(at / PAGE);
      const offset = at % PAGE;
      const len = Math.min(PAGE - offset, to - at);
      segments.push({ ref: this.pages[page], offset, len });
      at += len;
    }
    const bytes = await this.kernel.grantRead(this.domid, segments);
    const left = Math.max(0, Math.min(x0, width));
    const right = Math.max(left, Math.min(x1, width));
    // Only the columns that changed are damaged, so a typed character is a small update.
    screen.putImage(left, top, right - left, bottom - top, wordsOf(bytes).subarray(left), lineLength / 4);
  }

  /**
   * The guest notified: take its update events from the out ring, and draw the lines they name.
   * Returns the changed rectangles (empty if it sent none).
   */
  async update(screen: Screen): Promise<Rect[]> {
    const head = await this.kernel.grantRead(this.domid, [{ ref: this.pageRef, offset: 0, len: 16 }]);
    const hv = new DataView(head.buffer, head.byteOffset, 16);
    const cons = hv.getUint32(XENFB_PAGE_OUT_CONS, true);
    const prod = hv.getUint32(XENFB_PAGE_OUT_PROD, true);
    const n = (prod - cons) >>> 0;
    if (n === 0) return [];
    const rects: Rect[] = [];
    if (n <= OUT_SLOTS) {
      const ring = await this.kernel.grantRead(this.domid, [{ ref: this.pageRef, offset: XENFB_OUT_RING_OFFS, len: XENFB_OUT_RING_SIZE }]);
      const rv = new DataView(ring.buffer, ring.byteOffset, XENFB_OUT_RING_SIZE);
      for (let i = 0; i < n; i++) {
        const at = (((cons + i) >>> 0) % OUT_SLOTS) * XENFB_OUT_EVENT_SIZE;
        if (rv.getUint8(at) !== XENFB_TYPE_UPDATE) continue;
        rects.push({
          x: rv.getInt32(at + XENFB_UPDATE_X, true), y: rv.getInt32(at + XENFB_UPDATE_Y, true),
          w: rv.getInt32(at + XENFB_UPDATE_WIDTH, true), h: rv.getInt32(at + XENFB_UPDATE_HEIGHT, true),
        });
      }
    } else {
      // A runaway out_prod: the guest's ring is broken; draw everything once rather than trust it.
      rects.push({ x: 0, y: 0, w: this.mode.width, h: this.mode.height });
    }
    const consBytes = new Uint8Array(4);
    new DataView(consBytes.buffer).setUint32(0, prod, true);
    await this.kernel.grantWrite(this.domid, [{ ref: this.pageRef, offset: XENFB_PAGE_OUT_CONS, len: 4 }], consBytes);
    const top = Math.min(...rects.map((r) => r.y));
    const bottom = Math.max(...rects.map((r) => r.y + r.h));
    await this.draw(screen, top, bottom - top, Math.min(...rects.map((r) => r.x)), Math.max(...rects.map((r) => r.x + r.w)));
    return rects;
  }
}

/** x8r8g8b8 bytes as the screen's 0x00RRGGBB words (a copy: the bytes may not be aligned). */
export function wordsOf(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

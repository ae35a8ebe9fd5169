// A guest's screen as the VNC service holds it: one 32-bit word per pixel, 0x00RRGGBB, row after
// row. On the little-endian hosts Node runs on, `bytes` is then Linux's simplefb "x8r8g8b8" (and
// Xen's fbif 32 bpp) layout, so a guest framebuffer copies in unchanged. Whoever writes pixels
// says where with damage(); RFB servers listen and send the changes to their clients.

/** A rectangle in screen pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** The pointer's image, for the Cursor pseudo-encoding: clients draw it themselves, without lag. */
export interface Cursor {
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  /** 0x00RRGGBB per pixel, row after row. */
  readonly pixels: Uint32Array;
  /** Non-zero where the cursor is opaque, one byte per pixel. */
  readonly mask: Uint8Array;
}

export type ScreenChange =
  | { readonly kind: "damage"; readonly rect: Rect }
  /** `rect` now holds what was at (srcX, srcY) before: a scroll, sent as CopyRect. */
  | { readonly kind: "copy"; readonly rect: Rect; readonly srcX: number; readonly srcY: number }
  | { readonly kind: "resize" }
  | { readonly kind: "cursor" };

/** RFB sizes are 16-bit; this also bounds a screen's memory to 256 MiB. */
export const MAX_SCREEN_SIDE = 8192;

export function intersect(a: Rect, b: Rect): Rect | undefined {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const w = Math.min(a.x + a.w, b.x + b.w) - x;
  const h = Math.min(a.y + a.h, b.y + b.h) - y;
  return w > 0 && h > 0 ? { x, y, w, h } : undefined;
}

function checkSize(width: number, height: number): void {
  for (const [what, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SCREEN_SIDE) {
      throw new RangeError(`a screen ${what} of ${v} (allowed 1 to ${MAX_SCREEN_SIDE})`);
    }
  }
}

export class Screen {
  private _width: number;
  private _height: number;
  private _pixels: Uint32Array;
  private _cursor: Cursor | undefined;
  private readonly listeners = new Set<(change: ScreenChange) => void>();

  constructor(width: number, height: number) {
    checkSize(width, height);
    this._width = width;
    this._height = height;
    this._pixels = new Uint32Array(width * height);
  }

  get width(): number {
    return this._width;
  }

  get height(): number {
    return this._height;
  }

  /** Row after row, `width` words a row. Replaced by resize(): do not keep it across one. */
  get pixels(): Uint32Array {
    return this._pixels;
  }

  /** The same memory as `pixels`, byte by byte (x8r8g8b8). */
  get bytes(): Uint8Array {
    return new Uint8Array(this._pixels.buffer, this._pixels.byteOffset, this._pixels.byteLength);
  }

  get cursor(): Cursor | undefined {
    return this._cursor;
  }

  get bounds(): Rect {
    return { x: 0, y: 0, w: this._width, h: this._height };
  }

  /** Listens for changes; returns the function that stops listening. */
  onChange(listener: (change: ScreenChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Says that pixels in `rect` changed (it is clipped to the screen). */
  damage(rect: Rect): void {
    const r = intersect(rect, this.bounds);
    if (r !== undefined) this.emit({ kind: "damage", rect: r });
  }

  fill(rect: Rect, rgb: number): void {
    const r = intersect(rect, this.bounds);
    if (r === undefined) return;
    for (let y = r.y; y < r.y + r.h; y++) {
      const row = y * this._width;
      this._pixels.fill(rgb, row + r.x, row + r.x + r.w);
    }
    this.emit({ kind: "damage", rect: r });
  }

  /** Copies a w×h image (rows `stride` words apart in `src`) to (x, y), clipped to the screen. */
  putImage(x: number, y: number, w: number, h: number, src: Uint32Array, stride = w): void {
    const r = intersect({ x, y, w, h }, this.bounds);
    if (r === undefined) return;
    for (let row = 0; row < r.h; row++) {
      const from = (r.y - y + row) * stride + (r.x - x);
      this._pixels.set(src.subarray(from, from + r.w), (r.y + row) * this._width + r.x);
    }
    this.emit({ kind: "damage", rect: r });
  }

  /**
   * Moves the pixels at (srcX, srcY) to `dest` (a scroll: the areas may overlap). Both areas must
   * lie inside the screen.
   */
  copyRect(srcX: number, srcY: number, dest: Rect): void {
    const inside = (r: Rect) => intersect(r, this.bounds);
    const src = { x: srcX, y: srcY, w: dest.w, h: dest.h };
    const a = inside(src);
    const b = inside(dest);
    if (a === undefined || b === undefined || a.w !== dest.w || a.h !== dest.h || b.w !== dest.w || b.h !== dest.h) {
      throw new RangeError(`copyRect from (${srcX},${srcY}) to ${JSON.stringify(dest)} leaves the ${this._width}x${this._height} screen`);
    }
    const w = this._width;
    // Walk rows away from the overlap so no source row is overwritten before it is read;
    // copyWithin handles the overlap within a row.
    const down = dest.y > srcY;
    for (let i = 0; i < dest.h; i++) {
      const row = down ? dest.h - 1 - i : i;
      const from = (srcY + row) * w + srcX;
      this._pixels.copyWithin((dest.y + row) * w + dest.x, from, from + dest.w);
    }
    this.emit({ kind: "copy", rect: dest, srcX, srcY });
  }

  /** Shows `cursor` as the pointer's image; undefined hides it. */
  setCursor(cursor: Cursor | undefined): void {
    if (cursor !== undefined) {
      const n = cursor.width * cursor.height;
      if (cursor.pixels.length < n || cursor.mask.length < n || cursor.width > 256 || cursor.height > 256) {
        throw new RangeError(`a ${cursor.width}x${cursor.height} cursor needs ${n} pixels and mask bytes, at most 256x256`);
      }
    }
    this._cursor = cursor;
    this.emit({ kind: "cursor" });
  }

  /** Changes the size, as a guest changing its video mode; the top-left part is kept. */
  resize(width: number, height: number): void {
    checkSize(width, height);
    const old = this._pixels;
    const oldWidth = this._width;
    this._pixels = new Uint32Array(width * height);
    const w = Math.min(width, oldWidth);
    for (let y = 0; y < Math.min(height, this._height); y++) {
      this._pixels.set(old.subarray(y * oldWidth, y * oldWidth + w), y * width);
    }
    this._width = width;
    this._height = height;
    this.emit({ kind: "resize" });
  }

  private emit(change: ScreenChange): void {
    for (const l of this.listeners) l(change);
  }
}

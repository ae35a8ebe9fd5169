// What one client has not seen yet, as a grid of 16×16 tiles (Hextile's tile size): memory and
// time stay bounded however many small changes the guest makes between two updates, at the cost
// of sending whole tiles.

import { intersect, type Rect } from "./screen.js";

export const TILE = 16;

export class DirtyTiles {
  readonly width: number;
  readonly height: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly dirty: Uint8Array;
  private count = 0;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.cols = Math.ceil(width / TILE);
    this.rows = Math.ceil(height / TILE);
    this.dirty = new Uint8Array(this.cols * this.rows);
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  /** Marks every tile that `rect` touches. */
  add(rect: Rect): void {
    const r = intersect(rect, { x: 0, y: 0, w: this.width, h: this.height });
    if (r === undefined) return;
    for (let ty = Math.floor(r.y / TILE); ty <= Math.floor((r.y + r.h - 1) / TILE); ty++) {
      for (let tx = Math.floor(r.x / TILE); tx <= Math.floor((r.x + r.w - 1) / TILE); tx++) {
        const i = ty * this.cols + tx;
        if (this.dirty[i] === 0) {
          this.dirty[i] = 1;
          this.count++;
        }
      }
    }
  }

  addAll(): void {
    this.add({ x: 0, y: 0, w: this.width, h: this.height });
  }

  /**
   * Follows a copy of `dest.w×dest.h` pixels from (srcX, srcY) to `dest` that the client will
   * also make (CopyRect): what the client holds in the source was right except where dirty, so
   * the destination is now right except where the source was dirty.
   */
  copy(srcX: number, srcY: number, dest: Rect): void {
    const dx = dest.x - srcX;
    const dy = dest.y - srcY;
    const moved: Rect[] = [];
    const src = { x: srcX, y: srcY, w: dest.w, h: dest.h };
    for (const t of this.tiles()) {
      const part = intersect(t, src);
      if (part !== undefined) moved.push({ x: part.x + dx, y: part.y + dy, w: part.w, h: part.h });
    }
    // Tiles wholly inside the destination are now whatever the source was; tiles it only
    // partly covers keep their dirt.
    for (let ty = Math.ceil(dest.y / TILE); (ty + 1) * TILE <= dest.y + dest.h; ty++) {
      for (let tx = Math.ceil(dest.x / TILE); (tx + 1) * TILE <= dest.x + dest.w; tx++) {
        const i = ty * this.cols + tx;
        if (tx < this.cols && ty < this.rows && this.dirty[i] === 1) {
          this.dirty[i] = 0;
          this.count--;
        }
      }
    }
    for (const r of moved) this.add(r);
  }

  /**
   * Takes the dirty area as rectangles (runs of tiles in a row, stacked where consecutive rows
   * have the same run), clipped to the size, and clears it.
   */
  take(): Rect[] {
    const out: Rect[] = [];
    // Runs of the row above that may still grow downwards, by their first column.
    let open = new Map<number, { x0: number; x1: number; y0: number }>();
    const close = (run: { x0: number; x1: number; y0: number }, y1: number) => {
      const x = run.x0 * TILE;
      const y = run.y0 * TILE;
      out.push({ x, y, w: Math.min(run.x1 * TILE, this.width) - x, h: Math.min(y1 * TILE, this.height) - y });
    };
    for (let ty = 0; ty < this.rows; ty++) {
      const next = new Map<number, { x0: number; x1: number; y0: number }>();
      for (let tx = 0; tx < this.cols;) {
        if (this.dirty[ty * this.cols + tx] === 0) {
          tx++;
          continue;
        }
        const x0 = tx;
        while (tx < this.cols && this.dirty[ty * this.cols + tx] === 1) tx++;
        const above = open.get(x0);
        if (above !== undefined && above.x1 === tx) {
          open.delete(x0);
          next.set(x0, above);
        } else {
          next.set(x0, { x0, x1: tx, y0: ty });
        }
      }
      for (const run of open.values()) close(run, ty);
      open = next;
    }
    for (const run of open.values()) close(run, this.rows);
    this.dirty.fill(0);
    this.count = 0;
    return out;
  }

  private *tiles(): Generator<Rect> {
    for (let i = 0; i < this.dirty.length; i++) {
      if (this.dirty[i] === 1) yield { x: (i % this.cols) * TILE, y: Math.floor(i / this.cols) * TILE, w: TILE, h: TILE };
    }
  }
}

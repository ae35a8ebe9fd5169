import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DirtyTiles, TILE } from "./dirty-tiles.js";
import type { Rect } from "./screen.js";

const covers = (rects: Rect[], x: number, y: number) => rects.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);

describe("dirty tiles", () => {
  it("gives back rectangles covering all that was added, within the size, without overlap", () => {
    const rect = (w: number, h: number) => fc.record({ x: fc.integer({ min: -20, max: w }), y: fc.integer({ min: -20, max: h }), w: fc.integer({ min: 0, max: 80 }), h: fc.integer({ min: 0, max: 80 }) });
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 150 }), fc.array(rect(200, 150), { maxLength: 20 }), (w, h, added) => {
      const d = new DirtyTiles(w, h);
      for (const r of added) d.add(r);
      const out = d.take();
      expect(d.isEmpty).toBe(true);
      const area = out.reduce((s, r) => s + r.w * r.h, 0);
      let covered = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const inAdded = added.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);
          if (inAdded) expect(covers(out, x, y)).toBe(true);
          if (covers(out, x, y)) covered++;
        }
      }
      // No pixel twice, none outside.
      expect(area).toBe(covered);
    }));
  });

  it("merges a band of tiles into one rectangle", () => {
    const d = new DirtyTiles(100, 100);
    d.add({ x: 5, y: 5, w: 60, h: 40 });
    expect(d.take()).toEqual([{ x: 0, y: 0, w: 80, h: 48 }]);
  });

  it("moves dirt with a copy and clears what the copy fully covers", () => {
    const d = new DirtyTiles(64, 64);
    d.add({ x: 0, y: 40, w: 1, h: 1 });
    d.add({ x: 0, y: 0, w: 1, h: 1 });
    // Scroll up by one tile row: the dirt at y=40 is now at y=24; the tile at the top is
    // overwritten by clean pixels from below.
    d.copy(0, TILE, { x: 0, y: 0, w: 64, h: 48 });
    expect(d.take()).toEqual([{ x: 0, y: 16, w: 16, h: 16 }]);
  });
});

import { describe, expect, it } from "vitest";
import { Screen, type ScreenChange } from "./screen.js";

function watched(w: number, h: number): { s: Screen; changes: ScreenChange[] } {
  const s = new Screen(w, h);
  const changes: ScreenChange[] = [];
  s.onChange((c) => changes.push(c));
  return { s, changes };
}

describe("screen", () => {
  it("is x8r8g8b8: 0x00RRGGBB words, blue first in memory", () => {
    const s = new Screen(2, 1);
    s.fill({ x: 1, y: 0, w: 1, h: 1 }, 0x112233);
    expect([...s.bytes]).toEqual([0, 0, 0, 0, 0x33, 0x22, 0x11, 0]);
  });

  it("clips damage, fills and images to the screen, and tells listeners", () => {
    const { s, changes } = watched(10, 10);
    s.fill({ x: 8, y: 8, w: 5, h: 5 }, 1);
    s.damage({ x: 20, y: 20, w: 1, h: 1 });
    s.putImage(-1, 0, 2, 2, Uint32Array.from([1, 2, 3, 4]));
    expect(changes).toEqual([{ kind: "damage", rect: { x: 8, y: 8, w: 2, h: 2 } }, { kind: "damage", rect: { x: 0, y: 0, w: 1, h: 2 } }]);
    expect([s.pixels[0], s.pixels[10], s.pixels[99]]).toEqual([2, 4, 1]);
  });

  it("copies overlapping areas in either direction, as a scroll", () => {
    for (const [src, dest] of [[0, 1], [1, 0]]) {
      const { s, changes } = watched(4, 4);
      s.putImage(0, 0, 4, 4, Uint32Array.from({ length: 16 }, (_, i) => i));
      s.copyRect(src, src, { x: dest, y: dest, w: 3, h: 3 });
      for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) expect(s.pixels[(dest + y) * 4 + dest + x]).toBe((src + y) * 4 + src + x);
      expect(changes.at(-1)).toEqual({ kind: "copy", rect: { x: dest, y: dest, w: 3, h: 3 }, srcX: src, srcY: src });
    }
    expect(() => new Screen(4, 4).copyRect(2, 0, { x: 0, y: 0, w: 3, h: 1 })).toThrow(RangeError);
  });

  it("resizes keeping the top-left, and checks sizes and cursors", () => {
    const { s, changes } = watched(3, 2);
    s.putImage(0, 0, 3, 2, Uint32Array.from([1, 2, 3, 4, 5, 6]));
    s.resize(2, 3);
    expect([...s.pixels]).toEqual([1, 2, 4, 5, 0, 0]);
    expect(changes.at(-1)).toEqual({ kind: "resize" });
    expect(() => s.resize(0, 1)).toThrow(RangeError);
    expect(() => new Screen(8193, 1)).toThrow("allowed 1 to 8192");
    expect(() => s.setCursor({ width: 2, height: 2, hotX: 0, hotY: 0, pixels: new Uint32Array(3), mask: new Uint8Array(4) })).toThrow(RangeError);
  });

  it("stops telling a listener that stopped listening", () => {
    const s = new Screen(2, 2);
    const changes: ScreenChange[] = [];
    const stop = s.onChange((c) => changes.push(c));
    stop();
    s.fill(s.bounds, 1);
    expect(changes).toEqual([]);
  });
});

// Debian's console fonts, PSF1 and PSF2, with their Unicode tables.

import { describe, expect, it } from "vitest";
import { PsfFont, PsfFontError } from "./psf-font.js";

const glyphText = (f: PsfFont, ch: string) =>
  Array.from({ length: f.height }, (_, y) => Array.from({ length: f.width }, (_, x) => (f.pixel(f.glyphOf(ch.codePointAt(0) ?? 0), x, y) ? "#" : ".")).join(""));

describe("PSF fonts", () => {
  it("reads the default PSF1 VGA font with its Unicode table", async () => {
    const f = await PsfFont.load();
    expect([f.width, f.height, f.glyphCount]).toEqual([8, 16, 512]);
    expect(glyphText(f, " ").every((row) => row === "........")).toBe(true);
    expect(glyphText(f, "█").every((row) => row === "########")).toBe(true);
    expect(glyphText(f, "A")).not.toEqual(glyphText(f, "B"));
    expect(f.glyphOf("ä".codePointAt(0) ?? 0)).not.toBe(f.glyphOf("a".codePointAt(0) ?? 0));
    // A character the font lacks is drawn as its replacement glyph, not as nothing.
    expect(f.glyphOf(0x4e2d)).toBe(f.glyphOf(0xfffd));
  });

  it("reads a PSF2 font (Terminus 10x20)", async () => {
    const f = await PsfFont.load("/usr/share/consolefonts/Uni2-Terminus20x10.psf.gz");
    expect([f.width, f.height, f.rowBytes]).toEqual([10, 20, 2]);
    expect(glyphText(f, "█").every((row) => row === "##########")).toBe(true);
    expect(glyphText(f, "A").join("")).toContain("#");
  });

  it("refuses what is not a font, and names the package when the file is missing", async () => {
    expect(() => PsfFont.parse(Buffer.from("hello world"))).toThrow(PsfFontError);
    expect(() => PsfFont.parse(Buffer.from([0x36, 0x04, 0, 16, 1, 2, 3]))).toThrow("needs 4100 bytes");
    await expect(PsfFont.load("/nonexistent.psf.gz")).rejects.toThrow("console-setup-linux");
  });
});

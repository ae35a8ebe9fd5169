// The text console: control characters, the ANSI sequences U-Boot and minios send, UTF-8,
// scrolling (as CopyRect, which a VNC client follows), and garbage that must not break it.

import fc from "fast-check";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { COPY_RECT } from "./encodings/copyrect.js";
import { ZRLE } from "./encodings/zrle.js";
import { PsfFont } from "./psf-font.js";
import { RfbServer } from "./rfb-server.js";
import { Screen, type ScreenChange } from "./screen.js";
import { TextScreen, VGA_PALETTE } from "./text-screen.js";
import { TestRfbClient } from "../../test/vnc/rfb-client.js";
import { pixelDifference } from "../../test/vnc/serve.js";

const font = PsfFont.default();

function console80x25(): { t: TextScreen; screen: Screen; changes: ScreenChange[] } {
  const screen = new Screen(1, 1);
  const t = new TextScreen(screen);
  const changes: ScreenChange[] = [];
  screen.onChange((c) => changes.push(c));
  return { t, screen, changes };
}

const write = (t: TextScreen, s: string) => t.write(Buffer.from(s, "utf8"));

/** The colours of a cell's pixels: [foreground, background] as drawn. */
function cellColours(screen: Screen, col: number, row: number, ch: string): [number, number] {
  const g = font.glyphOf(ch.codePointAt(0) ?? 0);
  let fg = -1;
  let bg = -1;
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 8; x++) {
      const p = screen.pixels[(row * 16 + y) * screen.width + col * 8 + x];
      if (font.pixel(g, x, y)) fg = p;
      else bg = p;
    }
  }
  return [fg, bg];
}

describe("text screen", () => {
  it("takes another font and grid size", async () => {
    const screen = new Screen(1, 1);
    const t = new TextScreen(screen, { font: await PsfFont.load("/usr/share/consolefonts/Uni2-Terminus20x10.psf.gz"), cols: 40, rows: 10 });
    expect([screen.width, screen.height]).toEqual([400, 200]);
    write(t, "\x1b[10;40Hz");
    expect(t.text()[9]).toBe(`${" ".repeat(39)}z`);
  });

  it("sizes the screen to 80x25 cells of the font and draws the glyphs", () => {
    const { t, screen } = console80x25();
    expect([screen.width, screen.height]).toEqual([640, 400]);
    write(t, "Hello\r\nWorld");
    expect(t.text().slice(0, 3)).toEqual(["Hello", "World", ""]);
    expect(cellColours(screen, 0, 0, "H")).toEqual([0xaaaaaa, 0]);
    expect(t.cursor).toEqual({ col: 5, row: 1 });
  });

  it("follows BS, TAB, and LF as a new line", () => {
    const { t } = console80x25();
    write(t, "abc\bX\tY\nZ");
    expect(t.text().slice(0, 2)).toEqual(["abX     Y", "Z"]);
  });

  it("moves the cursor and erases as the ANSI sequences say", () => {
    const { t } = console80x25();
    write(t, "junk\x1b[2J\x1b[5;10HX\x1b[1;1Habcdef\r\x1b[2Cx\x1b[K\x1b[3;3H\x1b[2AQ\x1b[10GR");
    const text = t.text();
    // "x" went over "c", then "Q" over "x" two rows up from row 3.
    expect(text[0]).toBe("abQ      R");
    expect(text[4]).toBe("         X");
    write(t, "\x1b[5;1H\x1b[2K\x1b[1;1H\x1b[1J");
    expect(t.text().join("")).toBe(" bQ      R");
  });

  it("draws SGR colours: foreground, background, bold and reverse", () => {
    const { t, screen } = console80x25();
    write(t, "\x1b[31mR\x1b[1;44mB\x1b[0;7mV\x1b[m\x1b[92;100mG");
    expect(cellColours(screen, 0, 0, "R")).toEqual([VGA_PALETTE[1], 0]);
    expect(cellColours(screen, 1, 0, "B")).toEqual([VGA_PALETTE[9], VGA_PALETTE[4]]);
    expect(cellColours(screen, 2, 0, "V")).toEqual([0, VGA_PALETTE[7]]);
    expect(cellColours(screen, 3, 0, "G")).toEqual([VGA_PALETTE[10], VGA_PALETTE[8]]);
  });

  it("skips sequences it does not know, whole", () => {
    const { t } = console80x25();
    write(t, "\x1b[?1049h\x1b[>0c\x1b]0;a title\x07\x1b(B\x1b[38;5;200m\x1b[6nO\x1b[=5hK\x1bZ!");
    expect(t.text()[0]).toBe("OK!");
  });

  it("decodes UTF-8 and shows broken sequences as replacement characters", () => {
    const { t } = console80x25();
    t.write(Buffer.concat([Buffer.from("ä€ "), Buffer.from([0xe2, 0x82]), Buffer.from("x"), Buffer.from([0xff, 0xf4, 0x90, 0x80, 0x80])]));
    expect(t.text()[0]).toBe("ä€ \ufffdx\ufffd\ufffd");
  });

  it("wraps at the last column and scrolls with a copy of the pixels", () => {
    const { t, changes } = console80x25();
    write(t, "x".repeat(81));
    expect(t.text().slice(0, 2)).toEqual(["x".repeat(80), "x"]);
    for (let i = 0; i < 30; i++) write(t, `\r\nline ${i}`);
    expect(t.text()[24]).toBe("line 29");
    expect(t.text()[0]).toBe("line 5");
    expect(changes.filter((c) => c.kind === "copy")).toHaveLength(7);
  });

  it("never throws and keeps the cursor on the screen, whatever it is fed", () => {
    const { t } = console80x25();
    fc.assert(fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...["\x1b[", "\x1b[99;99H", "\x1b[", ";", "m", "\n", "\x1b]", "\x07"].map((s) => Buffer.from(s)))), { maxLength: 50 }), (chunks) => {
      for (const c of chunks) t.write(c);
      const { col, row } = t.cursor;
      expect(col).toBeGreaterThanOrEqual(0);
      expect(col).toBeLessThan(80);
      expect(row).toBeGreaterThanOrEqual(0);
      expect(row).toBeLessThan(25);
    }));
  });

  it("a VNC client following CopyRect sees the same pixels as the screen after scrolling", async () => {
    const { t, screen } = console80x25();
    const rfb = new RfbServer({ screen, name: "console" });
    const tcp = createServer((s) => rfb.serve(s, "test"));
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const address = tcp.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const c = await TestRfbClient.connect(address.port);
    try {
      c.setEncodings([ZRLE, COPY_RECT]);
      await c.update(false);
      let copies = 0;
      for (let i = 0; i < 40; i++) {
        // Text written and scrolled within one update: the pixels drawn before the scroll must
        // arrive where the scroll moved them.
        c.requestUpdate(true);
        write(t, `\x1b[3${i % 8}mline ${i} ${"=".repeat(i)}\r\n`);
        const rects = await c.nextUpdate();
        copies += rects.filter((r) => r.encoding === COPY_RECT).length;
        expect(pixelDifference(c.fb.pixels, screen.pixels, screen.width)).toBe("equal");
      }
      expect(copies).toBeGreaterThan(10);
    } finally {
      c.close();
      rfb.close();
      tcp.close();
    }
  });
});

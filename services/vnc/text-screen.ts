// A text console drawn into a Screen, for guests whose only output is a serial or PV console
// (U-Boot, minios): it takes the console's bytes (UTF-8 with CR, LF, BS, TAB and the ANSI/VT100
// sequences those guests send: cursor moves, erasing, SGR colours) and draws a cols×rows grid of
// characters with a PSF console font. Sequences it does not know are skipped whole. LF also
// returns the carriage, as a tty's ONLCR does for a console on a host terminal. Scrolling is a
// copyRect, so VNC clients get it as CopyRect.

import { PsfFont } from "./psf-font.js";
import type { Rect, Screen } from "./screen.js";

export interface TextScreenOptions {
  /** Debian's VGA console font (PsfFont.default()) unless given. */
  readonly font?: PsfFont;
  readonly cols?: number;
  readonly rows?: number;
}

/** The VGA text palette: black, red, green, brown, blue, magenta, cyan, grey, then bright ones. */
export const VGA_PALETTE = [
  0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
  0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
];
const DEFAULT_FG = 7;
const DEFAULT_BG = 0;
/** Bounds on a CSI sequence: longer ones are garbage, dropped rather than held. */
const MAX_PARAMS = 16;
const MAX_SEQUENCE = 64;
const REPLACEMENT = 0xfffd;

type State = "ground" | "escape" | "csi" | "charset" | "osc";

export class TextScreen {
  readonly cols: number;
  readonly rows: number;
  private readonly chars: Uint32Array;
  private readonly fg: Uint8Array;
  private readonly bg: Uint8Array;
  private col = 0;
  private row = 0;
  /** Set after writing in the last column: the next character goes to the next line first. */
  private wrapPending = false;
  private saved = { col: 0, row: 0 };
  private pen = { fg: DEFAULT_FG, bg: DEFAULT_BG, bold: false, reverse: false };
  private cursorVisible = true;
  private state: State = "ground";
  private sequence = "";
  private utf8 = { need: 0, value: 0 };
  /** Pixels drawn and not yet reported to the screen's listeners. */
  private pending: { x0: number; y0: number; x1: number; y1: number } | undefined;

  private readonly font: PsfFont;

  /** Sizes `screen` to the grid (cols × font width by rows × font height) and clears it. */
  constructor(private readonly screen: Screen, opts: TextScreenOptions = {}) {
    const font = (this.font = opts.font ?? PsfFont.default());
    this.cols = opts.cols ?? 80;
    this.rows = opts.rows ?? 25;
    const n = this.cols * this.rows;
    this.chars = new Uint32Array(n).fill(0x20);
    this.fg = new Uint8Array(n).fill(DEFAULT_FG);
    this.bg = new Uint8Array(n).fill(DEFAULT_BG);
    const w = this.cols * font.width;
    const h = this.rows * font.height;
    if (screen.width !== w || screen.height !== h) screen.resize(w, h);
    for (let i = 0; i < n; i++) this.drawCell(i % this.cols, Math.floor(i / this.cols));
    this.showCursor(true);
    this.flush();
  }

  /** Where the next character goes. */
  get cursor(): { col: number; row: number } {
    return { col: this.col, row: this.row };
  }

  /** The characters on the screen, a string a row without trailing blanks (for logs and tests). */
  text(): string[] {
    return Array.from({ length: this.rows }, (_, r) => String.fromCodePoint(...this.chars.subarray(r * this.cols, (r + 1) * this.cols)).trimEnd());
  }

  /** Takes console output. */
  write(bytes: Uint8Array): void {
    this.showCursor(false);
    for (const b of bytes) this.byte(b);
    this.showCursor(true);
    this.flush();
  }

  private byte(b: number): void {
    switch (this.state) {
      case "escape":
        return this.escape(b);
      case "csi":
        return this.csiByte(b);
      case "charset":
        // ESC ( B and friends: the character set is always UTF-8 here.
        this.state = "ground";
        return;
      case "osc":
        // An operating system command (a window title) ends with BEL or ESC \; it shows nothing.
        if (b === 0x07 || this.sequence.length >= MAX_SEQUENCE) this.state = "ground";
        else if (b === 0x1b) this.state = "escape";
        else this.sequence += "x";
        return;
      case "ground":
        break;
    }
    if (this.utf8.need > 0) {
      if ((b & 0xc0) === 0x80) {
        this.utf8.value = (this.utf8.value << 6) | (b & 0x3f);
        if (--this.utf8.need === 0) this.print(this.utf8.value);
        return;
      }
      // A sequence cut short: show that, then take this byte afresh.
      this.utf8.need = 0;
      this.print(REPLACEMENT);
    }
    if (b >= 0xc2 && b <= 0xdf) this.utf8 = { need: 1, value: b & 0x1f };
    else if (b >= 0xe0 && b <= 0xef) this.utf8 = { need: 2, value: b & 0x0f };
    else if (b >= 0xf0 && b <= 0xf4) this.utf8 = { need: 3, value: b & 0x07 };
    else if (b >= 0x80) this.print(REPLACEMENT);
    else if (b >= 0x20 && b !== 0x7f) this.print(b);
    else this.control(b);
  }

  private control(b: number): void {
    switch (b) {
      case 0x08:
        this.moveTo(this.col - 1, this.row);
        break;
      case 0x09:
        this.moveTo(Math.min(this.cols - 1, (Math.floor(this.col / 8) + 1) * 8), this.row);
        break;
      case 0x0a:
      case 0x0b:
      case 0x0c:
        this.lineFeed();
        this.col = 0;
        break;
      case 0x0d:
        this.moveTo(0, this.row);
        break;
      case 0x1b:
        this.state = "escape";
        break;
      // BEL and the other C0 controls show nothing.
    }
  }

  private escape(b: number): void {
    this.state = "ground";
    switch (String.fromCharCode(b)) {
      case "[":
        this.state = "csi";
        this.sequence = "";
        break;
      case "(":
      case ")":
        this.state = "charset";
        break;
      case "]":
        this.state = "osc";
        this.sequence = "";
        break;
      case "7":
        this.saved = { col: this.col, row: this.row };
        break;
      case "8":
        this.moveTo(this.saved.col, this.saved.row);
        break;
      case "D":
        this.lineFeed();
        break;
      case "E":
        this.lineFeed();
        this.col = 0;
        break;
      case "M":
        if (this.row > 0) this.moveTo(this.col, this.row - 1);
        break;
      case "c":
        this.pen = { fg: DEFAULT_FG, bg: DEFAULT_BG, bold: false, reverse: false };
        this.erase(0, this.cols * this.rows);
        this.moveTo(0, 0);
        break;
      // Other two-byte sequences are skipped.
    }
  }

  private csiByte(b: number): void {
    if (b >= 0x40 && b <= 0x7e) {
      this.state = "ground";
      this.csi(this.sequence, String.fromCharCode(b));
    } else if (b >= 0x20 && b <= 0x3f && this.sequence.length < MAX_SEQUENCE) {
      this.sequence += String.fromCharCode(b);
    } else {
      // A control character or an overlong sequence: it was not a sequence after all.
      this.state = "ground";
      if (b < 0x20) this.control(b);
    }
  }

  private csi(body: string, final: string): void {
    const privateMarker = /^[?>=<]/.test(body) ? body[0] : "";
    const params = body.slice(privateMarker.length).replace(/[\x20-\x2f]+$/, "").split(";").slice(0, MAX_PARAMS).map((p) => Math.min(Number.parseInt(p, 10) || 0, 9999));
    const n = (i: number, dflt = 1) => (params[i] || dflt);
    if (privateMarker === "?") {
      // DECTCEM, cursor on and off: the only private mode a text console needs.
      if (params[0] === 25 && (final === "h" || final === "l")) this.cursorVisible = final === "h";
      return;
    }
    if (privateMarker !== "") return;
    switch (final) {
      case "A": return this.moveTo(this.col, this.row - n(0));
      case "B": return this.moveTo(this.col, this.row + n(0));
      case "C": return this.moveTo(this.col + n(0), this.row);
      case "D": return this.moveTo(this.col - n(0), this.row);
      case "E": return this.moveTo(0, this.row + n(0));
      case "F": return this.moveTo(0, this.row - n(0));
      case "G": return this.moveTo(n(0) - 1, this.row);
      case "d": return this.moveTo(this.col, n(0) - 1);
      case "H":
      case "f": return this.moveTo(n(1) - 1, n(0) - 1);
      case "J": {
        const here = this.row * this.cols + this.col;
        const mode = params[0] ?? 0;
        if (mode === 0) this.erase(here, this.cols * this.rows);
        else if (mode === 1) this.erase(0, here + 1);
        else if (mode === 2 || mode === 3) this.erase(0, this.cols * this.rows);
        return;
      }
      case "K": {
        const start = this.row * this.cols;
        const mode = params[0] ?? 0;
        if (mode === 0) this.erase(start + this.col, start + this.cols);
        else if (mode === 1) this.erase(start, start + this.col + 1);
        else if (mode === 2) this.erase(start, start + this.cols);
        return;
      }
      case "X": {
        const at = this.row * this.cols + this.col;
        return this.erase(at, Math.min(at + n(0), (this.row + 1) * this.cols));
      }
      case "m": return this.sgr(params);
      case "s":
        this.saved = { col: this.col, row: this.row };
        return;
      case "u": return this.moveTo(this.saved.col, this.saved.row);
      // Other sequences (scroll regions, modes, reports) are skipped.
    }
  }

  private sgr(params: number[]): void {
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      if (p === 0) this.pen = { fg: DEFAULT_FG, bg: DEFAULT_BG, bold: false, reverse: false };
      else if (p === 1) this.pen.bold = true;
      else if (p === 2 || p === 22) this.pen.bold = false;
      else if (p === 7) this.pen.reverse = true;
      else if (p === 27) this.pen.reverse = false;
      else if (p >= 30 && p <= 37) this.pen.fg = p - 30;
      else if (p === 39) this.pen.fg = DEFAULT_FG;
      else if (p >= 40 && p <= 47) this.pen.bg = p - 40;
      else if (p === 49) this.pen.bg = DEFAULT_BG;
      else if (p >= 90 && p <= 97) this.pen.fg = p - 90 + 8;
      else if (p >= 100 && p <= 107) this.pen.bg = p - 100 + 8;
      // 256-colour and RGB forms: their arguments are skipped.
      else if (p === 38 || p === 48) i += params[i + 1] === 5 ? 2 : params[i + 1] === 2 ? 4 : 1;
    }
  }

  private colours(): { fg: number; bg: number } {
    const fg = this.pen.bold && this.pen.fg < 8 ? this.pen.fg + 8 : this.pen.fg;
    return this.pen.reverse ? { fg: this.pen.bg, bg: fg } : { fg, bg: this.pen.bg };
  }

  private print(codePoint: number): void {
    // Four-byte UTF-8 can encode past Unicode's end.
    if (codePoint > 0x10ffff) codePoint = REPLACEMENT;
    if (this.wrapPending) {
      this.wrapPending = false;
      this.col = 0;
      this.lineFeed();
    }
    const i = this.row * this.cols + this.col;
    const { fg, bg } = this.colours();
    this.chars[i] = codePoint;
    this.fg[i] = fg;
    this.bg[i] = bg;
    this.drawCell(this.col, this.row);
    if (this.col === this.cols - 1) this.wrapPending = true;
    else this.col++;
  }

  private moveTo(col: number, row: number): void {
    this.col = Math.max(0, Math.min(this.cols - 1, col));
    this.row = Math.max(0, Math.min(this.rows - 1, row));
    this.wrapPending = false;
  }

  private lineFeed(): void {
    this.wrapPending = false;
    if (this.row < this.rows - 1) {
      this.row++;
      return;
    }
    // Report what was drawn before moving it, so clients' copies move the same pixels.
    this.flush();
    const fh = this.font.height;
    this.screen.copyRect(0, fh, { x: 0, y: 0, w: this.screen.width, h: this.screen.height - fh });
    this.chars.copyWithin(0, this.cols);
    this.fg.copyWithin(0, this.cols);
    this.bg.copyWithin(0, this.cols);
    this.erase((this.rows - 1) * this.cols, this.rows * this.cols);
  }

  /** Blanks cells [from, to) in the current background. */
  private erase(from: number, to: number): void {
    const { bg } = this.colours();
    for (let i = from; i < to; i++) {
      this.chars[i] = 0x20;
      this.fg[i] = DEFAULT_FG;
      this.bg[i] = bg;
      this.drawCell(i % this.cols, Math.floor(i / this.cols));
    }
  }

  private showCursor(show: boolean): void {
    if (this.cursorVisible) this.drawCell(this.col, this.row, show);
  }

  private drawCell(col: number, row: number, inverted = false): void {
    const i = row * this.cols + col;
    const { width: fw, height: fh } = this.font;
    const glyph = this.font.glyphOf(this.chars[i]);
    const fg = VGA_PALETTE[inverted ? this.bg[i] : this.fg[i]];
    const bg = VGA_PALETTE[inverted ? this.fg[i] : this.bg[i]];
    const px = this.screen.pixels;
    const stride = this.screen.width;
    const x0 = col * fw;
    const y0 = row * fh;
    for (let y = 0; y < fh; y++) {
      const line = (y0 + y) * stride + x0;
      for (let x = 0; x < fw; x++) px[line + x] = this.font.pixel(glyph, x, y) ? fg : bg;
    }
    const p = this.pending;
    this.pending = p === undefined
      ? { x0, y0, x1: x0 + fw, y1: y0 + fh }
      : { x0: Math.min(p.x0, x0), y0: Math.min(p.y0, y0), x1: Math.max(p.x1, x0 + fw), y1: Math.max(p.y1, y0 + fh) };
  }

  private flush(): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    const rect: Rect = { x: p.x0, y: p.y0, w: p.x1 - p.x0, h: p.y1 - p.y0 };
    this.screen.damage(rect);
  }
}

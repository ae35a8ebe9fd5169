// X keysym names and values, read from X.Org's own definitions (Debian's x11proto-dev:
// keysymdef.h, XF86keysym.h, Sunkeysym.h), as keymap files name keys by them. Each keysym of a
// character also gives its Unicode code point, so a client that sends the Unicode form of a
// keysym (0x01000000 + code point) finds the same key.

import { readFile } from "node:fs/promises";

export const KEYSYM_HEADERS = [
  "/usr/include/X11/keysymdef.h",
  "/usr/include/X11/XF86keysym.h",
  "/usr/include/X11/Sunkeysym.h",
];

/** Keysyms for characters outside the legacy tables: 0x01000000 + the code point. */
export const UNICODE_KEYSYM = 0x0100_0000;

export class Keysyms {
  private constructor(
    private readonly byName: ReadonlyMap<string, number>,
    private readonly byCodePoint: ReadonlyMap<number, number>,
    private readonly codePointOf: ReadonlyMap<number, number>,
  ) {}

  /** Reads the headers; a missing one is an error that names the Debian package. */
  static async load(headers: readonly string[] = KEYSYM_HEADERS): Promise<Keysyms> {
    const byName = new Map<string, number>();
    const byCodePoint = new Map<number, number>();
    const codePointOf = new Map<number, number>();
    // "#define XK_exclam 0x0021  /* U+0021 EXCLAMATION MARK */"; XF86XK_ and SunXK_ names are
    // written XF86... and Sun... in keymaps.
    const define = /^#define\s+(XF86|Sun)?XK_(\w+)\s+0x([0-9a-fA-F]+)(?:\s*\/\*\s*U\+([0-9A-Fa-f]{4,6}))?/;
    for (const path of headers) {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (e) {
        throw new Error(`cannot read the X keysym names in ${path} (Debian package x11proto-dev): ${(e as Error).message}`);
      }
      for (const line of text.split("\n")) {
        const m = define.exec(line);
        if (m === null) continue;
        const name = (m[1] ?? "") + m[2];
        const value = parseInt(m[3], 16);
        if (!byName.has(name)) byName.set(name, value);
        if (m[4] === undefined) continue;
        const cp = parseInt(m[4], 16);
        if (!byCodePoint.has(cp)) byCodePoint.set(cp, value);
        if (!codePointOf.has(value)) codePointOf.set(value, cp);
      }
    }
    return new Keysyms(byName, byCodePoint, codePointOf);
  }

  /** The value of a keysym name as keymaps write it: a name, "U20AC", or a number "0x0100002b". */
  value(name: string): number | undefined {
    const unicode = /^U([0-9A-Fa-f]{4,6})$/.exec(name);
    if (unicode !== null) return UNICODE_KEYSYM + parseInt(unicode[1], 16);
    if (/^0x[0-9a-fA-F]+$/.test(name)) return parseInt(name, 16);
    return this.byName.get(name);
  }

  /** The character a keysym types, if it types one. */
  char(keysym: number): string | undefined {
    const cp = keysym >= UNICODE_KEYSYM && keysym <= UNICODE_KEYSYM + 0x10ffff ? keysym - UNICODE_KEYSYM : this.codePointOf.get(keysym);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  /** The keysym of a character: its legacy keysym if it has one, else its Unicode keysym. */
  ofChar(char: string): number {
    const cp = char.codePointAt(0) ?? 0;
    return this.byCodePoint.get(cp) ?? UNICODE_KEYSYM + cp;
  }

  /** The legacy keysym of a Unicode keysym's character, if it has one; else the keysym itself. */
  legacy(keysym: number): number {
    if (keysym < UNICODE_KEYSYM || keysym > UNICODE_KEYSYM + 0x10ffff) return keysym;
    return this.byCodePoint.get(keysym - UNICODE_KEYSYM) ?? keysym;
  }
}

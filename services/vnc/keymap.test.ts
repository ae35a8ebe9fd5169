// The manual's keymaps from QEMU's files: all load; en-us, de and fr type all of printable ASCII,
// their letters and the control keys on the right Linux keys; the key-number table agrees with
// the keymap files' own notes.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { KEYMAPS, type Keymap } from "../../tools/config/keymap.js";
import { KEYMAP_DIR, KeyLayout, linuxKeyCode, type KeyStroke } from "./keymap.js";
import { Keysyms } from "./keysyms.js";

// Linux key codes (linux/input-event-codes.h).
const KEY = {
  ESC: 1, _1: 2, _2: 3, _7: 8, _0: 11, MINUS: 12, BACKSPACE: 14, TAB: 15, Q: 16, W: 17, Y: 21, ENTER: 28, LEFTCTRL: 29,
  A: 30, SEMICOLON: 39, APOSTROPHE: 40, GRAVE: 41, LEFTSHIFT: 42, BACKSLASH: 43, Z: 44, RIGHTSHIFT: 54, LEFTALT: 56,
  SPACE: 57, CAPSLOCK: 58, F1: 59, F10: 68, KP0: 82, _102ND: 86, F11: 87, F12: 88, KPENTER: 96, RIGHTCTRL: 97,
  SYSRQ: 99, RIGHTALT: 100, HOME: 102, UP: 103, PAGEUP: 104, LEFT: 105, RIGHT: 106, END: 107, DOWN: 108, PAGEDOWN: 109,
  INSERT: 110, DELETE: 111, LEFTMETA: 125, COMPOSE: 127,
};

const plain = (code: number): KeyStroke => ({ code, shift: false, altgr: false });
const shifted = (code: number): KeyStroke => ({ code, shift: true, altgr: false });
const altgr = (code: number): KeyStroke => ({ code, shift: false, altgr: true });
const ch = (c: string) => c.codePointAt(0) ?? 0;

let keysyms: Keysyms;
const layouts = new Map<Keymap, KeyLayout>();
beforeAll(async () => {
  keysyms = await Keysyms.load();
  for (const k of KEYMAPS) layouts.set(k, await KeyLayout.load(k, keysyms));
});
const layout = (k: Keymap) => layouts.get(k) as KeyLayout;

const CONTROL_KEYS: [number, number][] = [
  [0xff08, KEY.BACKSPACE], [0xff09, KEY.TAB], [0xff0d, KEY.ENTER], [0xff1b, KEY.ESC], [0xffff, KEY.DELETE],
  [0xff50, KEY.HOME], [0xff57, KEY.END], [0xff52, KEY.UP], [0xff54, KEY.DOWN], [0xff51, KEY.LEFT], [0xff53, KEY.RIGHT],
  [0xff55, KEY.PAGEUP], [0xff56, KEY.PAGEDOWN], [0xff63, KEY.INSERT], [0xffbe, KEY.F1], [0xffc7, KEY.F10],
  [0xffc8, KEY.F11], [0xffc9, KEY.F12], [0xffe1, KEY.LEFTSHIFT], [0xffe2, KEY.RIGHTSHIFT], [0xffe3, KEY.LEFTCTRL],
  [0xffe4, KEY.RIGHTCTRL], [0xffe9, KEY.LEFTALT], [0xffe5, KEY.CAPSLOCK], [0xff8d, KEY.KPENTER], [0xffb0, KEY.KP0],
  [0xffeb, KEY.LEFTMETA], [0xff67, KEY.COMPOSE], [0xff61, KEY.SYSRQ], [0x20, KEY.SPACE],
];

describe("keymaps", () => {
  it("loads every keymap of the manual's table, each complete", () => {
    for (const k of KEYMAPS) expect(layout(k).size, k).toBeGreaterThan(150);
  });

  it.each(["en-us", "de", "fr"] as const)("%s types all of printable ASCII and the control keys", (k) => {
    for (let c = 0x20; c < 0x7f; c++) expect(layout(k).lookup(c), `${k} ${String.fromCharCode(c)}`).toBeDefined();
    for (const [keysym, code] of CONTROL_KEYS) expect(layout(k).lookup(keysym)?.code, `${k} 0x${keysym.toString(16)}`).toBe(code);
  });

  it("en-us: the US layout", () => {
    const l = layout("en-us");
    expect(l.lookup(ch("a"))).toEqual(plain(KEY.A));
    expect(l.lookup(ch("A"))).toEqual(shifted(KEY.A));
    expect(l.lookup(ch("@"))).toEqual(shifted(KEY._2));
    expect(l.lookup(ch("\\"))).toEqual(plain(KEY.BACKSLASH));
    expect(l.lookup(ch("~"))).toEqual(shifted(KEY.GRAVE));
  });

  it("de: QWERTZ, umlauts, AltGr symbols", () => {
    const l = layout("de");
    expect(l.lookup(ch("z"))).toEqual(plain(KEY.Y));
    expect(l.lookup(ch("Y"))).toEqual(shifted(KEY.Z));
    expect(l.lookup(ch("@"))).toEqual(altgr(KEY.Q));
    expect(l.lookup(ch("{"))).toEqual(altgr(KEY._7));
    expect(l.lookup(ch("|"))).toEqual(altgr(KEY._102ND));
    expect(l.lookup(ch("ä"))).toEqual(plain(KEY.APOSTROPHE));
    expect(l.lookup(ch("ß"))).toEqual(plain(KEY.MINUS));
    expect(l.lookup(ch("^"))).toEqual(plain(KEY.GRAVE));
    expect(l.lookup(0x20ac)).toEqual(altgr(18));
    expect(l.altgrCode).toBe(KEY.RIGHTALT);
  });

  it("fr: AZERTY, digits shifted", () => {
    const l = layout("fr");
    expect(l.lookup(ch("a"))).toEqual(plain(KEY.Q));
    expect(l.lookup(ch("q"))).toEqual(plain(KEY.A));
    expect(l.lookup(ch("z"))).toEqual(plain(KEY.W));
    expect(l.lookup(ch("m"))).toEqual(plain(KEY.SEMICOLON));
    expect(l.lookup(ch("1"))).toEqual(shifted(KEY._1));
    expect(l.lookup(ch("&"))).toEqual(plain(KEY._1));
    expect(l.lookup(ch("é"))).toEqual(plain(KEY._2));
    expect(l.lookup(ch("@"))).toEqual(altgr(KEY._0));
  });

  it("takes a character's Unicode keysym as its legacy one", () => {
    expect(layout("de").lookup(0x0100_0000 + ch("ä"))).toEqual(plain(KEY.APOSTROPHE));
    expect(layout("ru").lookup(0x0100_0000 + 0x0444)).toEqual(plain(KEY.A));
  });

  it("agrees with the key numbers the keymap files note for each key", async () => {
    // "# evdev 103 (0x67), QKeyCode "up", number 0xc8"
    for (const k of KEYMAPS) {
      const text = await readFile(join(KEYMAP_DIR, k === "nl-be" ? "fr-be" : k), "utf8");
      for (const m of text.matchAll(/^# evdev (\d+) \(0x[0-9a-f]+\), QKeyCode "[^"]*", number (0x[0-9a-f]+)$/gm)) {
        const code = linuxKeyCode(parseInt(m[2], 16));
        if (code !== undefined) expect(code, `${k} ${m[0]}`).toBe(Number(m[1]));
      }
    }
  });

  it("names the package when the files are missing", async () => {
    await expect(KeyLayout.load("de", keysyms, "/nonexistent")).rejects.toThrow("qemu-system-data");
    await expect(Keysyms.load(["/nonexistent.h"])).rejects.toThrow("x11proto-dev");
  });
});

// Key events from a client on one layout reach a guest on another as the right keys, with Shift
// and AltGr pressed or released around them as the guest's layout needs.

import { beforeAll, describe, expect, it } from "vitest";
import { KeyboardTranslator, type KeyEvent } from "./keyboard.js";
import { KeyLayout } from "./keymap.js";
import { Keysyms } from "./keysyms.js";

const SHIFT_L = 0xffe1;
const CAPS = 0xffe5;
const [LSHIFT, RALT, Q, A, _2, CAPSLOCK] = [42, 100, 16, 30, 3, 58];
const d = (code: number): KeyEvent => ({ code, down: true });
const u = (code: number): KeyEvent => ({ code, down: false });

let de: KeyLayout;
let us: KeyLayout;
beforeAll(async () => {
  const keysyms = await Keysyms.load();
  de = await KeyLayout.load("de", keysyms);
  us = await KeyLayout.load("en-us", keysyms);
});

describe("keyboard translator", () => {
  it("types '@' from a US client (Shift+2) on a German guest as AltGr+Q, Shift released around it", () => {
    const t = new KeyboardTranslator(de);
    expect(t.key(SHIFT_L, true)).toEqual([d(LSHIFT)]);
    expect(t.key(0x40, true)).toEqual([u(LSHIFT), d(RALT), d(Q), u(RALT), d(LSHIFT)]);
    expect(t.key(0x40, false)).toEqual([u(Q)]);
    expect(t.key(SHIFT_L, false)).toEqual([u(LSHIFT)]);
  });

  it("leaves a right Alt held for a shortcut alone, but lifts a client's AltGr off plain keys", () => {
    const t = new KeyboardTranslator(de);
    expect(t.key(0xffea, true)).toEqual([d(RALT)]);
    expect(t.key(0x78, true)).toEqual([d(45)]);
    t.key(0x78, false);
    t.key(0xffea, false);
    // A German client's AltGr+Q sends ISO_Level3_Shift, then '@': nothing to change. Then a
    // keysym that needs no AltGr, while AltGr is held (a French client's AltGr+0 is '@' too,
    // but here the client sent 'x').
    expect(t.key(0xfe03, true)).toEqual([d(RALT)]);
    expect(t.key(0x40, true)).toEqual([d(Q)]);
    expect(t.key(0x78, true)).toEqual([u(RALT), d(45), d(RALT)]);
  });

  it("presses Shift for a capital the client sent without it, and not when it is held", () => {
    const t = new KeyboardTranslator(us);
    expect(t.key(0x41, true)).toEqual([d(LSHIFT), d(A), u(LSHIFT)]);
    expect(t.key(0x41, false)).toEqual([u(A)]);
    t.key(SHIFT_L, true);
    expect(t.key(0x40, true)).toEqual([d(_2)]);
  });

  it("follows Caps Lock for letters, not for digits", () => {
    const t = new KeyboardTranslator(us);
    expect(t.key(CAPS, true)).toEqual([d(CAPSLOCK)]);
    t.key(CAPS, false);
    expect(t.key(0x41, true)).toEqual([d(A)]);
    t.key(0x41, false);
    expect(t.key(0x61, true)).toEqual([d(LSHIFT), d(A), u(LSHIFT)]);
    t.key(0x61, false);
    expect(t.key(0x32, true)).toEqual([d(_2)]);
  });

  it("releases a key where it was pressed, even if the release names another keysym", () => {
    const t = new KeyboardTranslator(us);
    t.key(0x61, true);
    expect(t.key(0x41, false)).toEqual([]);
    expect(t.key(0x61, false)).toEqual([u(A)]);
    expect(t.key(0x61, false)).toEqual([]);
  });

  it("ignores keysyms the layout has no key for, and releases everything held on request", () => {
    const t = new KeyboardTranslator(us);
    expect(t.key(0x0100_4e2d, true)).toEqual([]);
    t.key(SHIFT_L, true);
    t.key(0x61, true);
    expect(t.releaseAll().sort((a, b) => a.code - b.code)).toEqual([u(A), u(LSHIFT)].sort((a, b) => a.code - b.code));
  });
});

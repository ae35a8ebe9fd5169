// Turns a VNC client's key events (X keysyms, typed on the client's own layout) into the guest
// keyboard's key presses on the guest's layout. The client's Shift and AltGr state need not be
// what the guest's layout wants for a keysym ('@' is Shift+2 on a US keyboard but AltGr+Q on a
// German one), so around such a key the translator releases or presses Shift and AltGr itself and
// puts them back, as TigerVNC's server does. It also follows the guest's Caps Lock, which inverts
// Shift for letters. One translator serves a guest keyboard, whichever client types.

import type { KeyLayout, KeyStroke } from "./keymap.js";

/** A key going down or up on the guest's keyboard, by Linux key code. */
export interface KeyEvent {
  readonly code: number;
  readonly down: boolean;
}

const KEY_LEFTSHIFT = 42;
const KEY_RIGHTSHIFT = 54;
const XK_CAPS_LOCK = 0xffe5;
const XK_ISO_LEVEL3_SHIFT = 0xfe03;
const XK_MODE_SWITCH = 0xff7e;

/** Modifier keysyms: Shift, Control, Caps/Shift Lock, Meta, Alt, Super, Hyper (0xffe1-0xffee),
 * ISO_Level3_Shift, ISO_Level5_Shift, Mode_switch and Num_Lock go to the guest as they are. */
function isModifier(keysym: number): boolean {
  return (keysym >= 0xffe1 && keysym <= 0xffee) || keysym === 0xfe03 || keysym === 0xfe11 || keysym === 0xff7e || keysym === 0xff7f;
}

export class KeyboardTranslator {
  /** Keys the guest has down, as sent to it. */
  private readonly guestDown = new Set<number>();
  /** The key each keysym the client holds went to, so its release goes to the same key. */
  private readonly held = new Map<number, number>();
  private capsLock = false;

  constructor(private readonly layout: KeyLayout) {}

  /** The guest key events for a client's KeyEvent; none for a keysym the layout cannot type. */
  key(keysym: number, down: boolean): KeyEvent[] {
    if (!down) {
      const code = this.held.get(keysym);
      if (code === undefined) return [];
      this.held.delete(keysym);
      return this.press(code, false);
    }
    const stroke = this.layout.lookup(keysym);
    if (stroke === undefined) return [];
    this.held.set(keysym, stroke.code);
    if (isModifier(keysym)) {
      if (keysym === XK_CAPS_LOCK) this.capsLock = !this.capsLock;
      return this.press(stroke.code, true);
    }
    return this.withModifiers(this.wanted(keysym, stroke), () => this.press(stroke.code, true));
  }

  /** Releases every key the guest has down: a client went away while holding keys. */
  releaseAll(): KeyEvent[] {
    this.held.clear();
    return [...this.guestDown].flatMap((code) => this.press(code, false));
  }

  /** The Shift and AltGr a keysym needs, with Caps Lock inverting Shift for letters. */
  private wanted(keysym: number, stroke: KeyStroke): { shift: boolean; altgr: boolean } {
    const char = this.layout.keysyms.char(keysym);
    let shift = stroke.shift;
    if (this.capsLock && char !== undefined && char.toLowerCase() !== char.toUpperCase()) {
      const other = char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase();
      // Only where the other case is the same key: Caps Lock acts on letters, not on digits.
      if (this.layout.lookup(this.layout.keysyms.ofChar(other))?.code === stroke.code) shift = !shift;
    }
    return { shift, altgr: stroke.altgr };
  }

  private withModifiers(want: { shift: boolean; altgr: boolean }, action: () => KeyEvent[]): KeyEvent[] {
    const shifts = [KEY_LEFTSHIFT, KEY_RIGHTSHIFT].filter((c) => this.guestDown.has(c));
    const altgr = this.layout.altgrCode;
    const altgrDown = altgr !== undefined && this.guestDown.has(altgr);
    // The same key may be down as a plain right Alt (the client sent Alt_R, for a shortcut):
    // only a client's AltGr is taken away from keys that do not want it.
    const clientAltgr = [...this.held.keys()].some((k) => k === XK_ISO_LEVEL3_SHIFT || k === XK_MODE_SWITCH);
    const before: KeyEvent[] = [];
    const after: KeyEvent[] = [];
    const change = (code: number, down: boolean) => {
      before.push(...this.press(code, down));
      after.unshift({ code, down: !down });
    };
    if (want.shift && shifts.length === 0) change(KEY_LEFTSHIFT, true);
    if (!want.shift) for (const c of shifts) change(c, false);
    if (altgr !== undefined && want.altgr && !altgrDown) change(altgr, true);
    if (altgr !== undefined && !want.altgr && altgrDown && clientAltgr) change(altgr, false);
    const events = [...before, ...action()];
    for (const e of after) events.push(...this.press(e.code, e.down));
    return events;
  }

  private press(code: number, down: boolean): KeyEvent[] {
    if (down) this.guestDown.add(code);
    else if (!this.guestDown.delete(code)) return [];
    return [{ code, down }];
  }
}

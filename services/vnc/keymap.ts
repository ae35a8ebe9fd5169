// The virtual keyboard's layouts (manual §6.8, Table 6.2): which key, with which modifiers, types
// an X keysym on a guest whose keyboard is set to that layout. Xen's device model took these
// from QEMU's keymap files (`qemu-dm -k de`), and so does this: Debian's qemu-system-data ships
// them in /usr/share/qemu/keymaps, one per name of the manual's table, generated from the X
// keyboard database. Every layout is complete: all its keys at all their levels, the control,
// function, keypad and modifier keys included. Keys are Linux input key codes (KEY_* of
// linux/input-event-codes.h), which virtio-input and Xen's kbdif both carry.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Keymap } from "../../tools/config/keymap.js";
import { Keysyms } from "./keysyms.js";

export const KEYMAP_DIR = "/usr/share/qemu/keymaps";

/**
 * The manual's nl-be has no file of its own in current QEMU: Belgian keyboards are one layout for
 * Dutch and French, QEMU's fr-be (the X keyboard database's "be").
 */
const FILE_OF: Partial<Record<Keymap, string>> = { "nl-be": "fr-be" };

/**
 * QEMU's key numbers (PC scancode set 1, with 0x80 for the 0xe0-prefixed keys) to Linux key
 * codes, for the keys the manual's layouts use. Below 0x54 they are equal.
 */
const QNUM_TO_LINUX = new Map<number, number>([
  [0x54, 99], [0x56, 86], [0x57, 87], [0x58, 88], [0x59, 117], [0x5b, 101], [0x64, 134], [0x65, 135],
  [0x70, 93], [0x73, 89], [0x77, 91], [0x79, 92], [0x7b, 94], [0x7d, 124], [0x7e, 121],
  [0x85, 129], [0x86, 130], [0x87, 131], [0x8c, 132], [0x90, 165], [0x99, 163], [0x9c, 96], [0x9d, 97],
  [0x9e, 139], [0xa0, 113], [0xa1, 140], [0xa2, 164], [0xa4, 166], [0xae, 114], [0xb0, 115], [0xb2, 172],
  [0xb5, 98], [0xb7, 99], [0xb8, 100], [0xbc, 137], [0xc1, 136], [0xc6, 119], [0xc7, 102], [0xc8, 103],
  [0xc9, 104], [0xcb, 105], [0xcd, 106], [0xcf, 107], [0xd0, 108], [0xd1, 109], [0xd2, 110], [0xd3, 111],
  [0xdb, 125], [0xdc, 126], [0xdd, 127], [0xde, 116], [0xdf, 142], [0xe3, 143], [0xe6, 156], [0xe7, 173],
  [0xe8, 128], [0xe9, 159], [0xea, 158], [0xeb, 157], [0xec, 155], [0xed, 226], [0xf5, 138], [0xf8, 133],
]);

export function linuxKeyCode(qnum: number): number | undefined {
  return qnum >= 0x01 && qnum <= 0x53 ? qnum : QNUM_TO_LINUX.get(qnum);
}

/** A key and the modifiers it needs to type a keysym. */
export interface KeyStroke {
  readonly code: number;
  readonly shift: boolean;
  readonly altgr: boolean;
}

export class KeyLayout {
  private constructor(
    readonly name: Keymap,
    private readonly strokes: ReadonlyMap<number, KeyStroke>,
    readonly keysyms: Keysyms,
  ) {}

  /** Reads a layout's keymap file; `dir` defaults to Debian's. */
  static async load(name: Keymap, keysyms: Keysyms, dir = KEYMAP_DIR): Promise<KeyLayout> {
    const path = join(dir, FILE_OF[name] ?? name);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new Error(`cannot read keymap ${name} at ${path} (Debian package qemu-system-data): ${(e as Error).message}`);
    }
    return new KeyLayout(name, parseKeymapFile(text, keysyms, path), keysyms);
  }

  /** How to type `keysym`, or undefined if the layout has no key for it. */
  lookup(keysym: number): KeyStroke | undefined {
    return this.strokes.get(this.keysyms.legacy(keysym));
  }

  /** The key of ISO_Level3_Shift (AltGr), if the layout has one. */
  get altgrCode(): number | undefined {
    return this.strokes.get(0xfe03)?.code;
  }

  get size(): number {
    return this.strokes.size;
  }
}

/**
 * Parses QEMU's keymap format: "keysym-name qnum [shift] [altgr] [numlock] [localstate]
 * [addupper] [inhibit]" lines, "map 0x..." (a Windows layout id) and comments. "addupper" also
 * maps the name in capitals to the key with Shift, as QEMU does. Where a keysym has several keys, the one
 * needing the fewest modifiers wins (on de, "asciicircum" is both AltGr+ä and the key left of 1).
 * "numlock" marks keypad keysyms that need Num Lock on: the guest's Num Lock state is its own,
 * so the key is sent as it is. "inhibit" entries are not keys.
 */
export function parseKeymapFile(text: string, keysyms: Keysyms, where: string): Map<number, KeyStroke> {
  const strokes = new Map<number, KeyStroke>();
  const cost = (s: KeyStroke) => (s.shift ? 1 : 0) + (s.altgr ? 2 : 0);
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("map ")) return;
    const [name, qnumText, ...flags] = line.split(/\s+/);
    const unknown = flags.find((f) => !["shift", "altgr", "numlock", "localstate", "inhibit", "addupper"].includes(f));
    if (qnumText === undefined || !/^0x[0-9a-fA-F]+$/.test(qnumText) || unknown !== undefined) {
      throw new Error(`${where}:${i + 1}: not a keymap line: ${JSON.stringify(line)}`);
    }
    if (flags.includes("inhibit")) return;
    const code = linuxKeyCode(parseInt(qnumText, 16));
    const add = (keysym: number | undefined, stroke: KeyStroke) => {
      // Keysyms X does not define and keys Linux has no code for cannot be typed from RFB.
      if (keysym === undefined || code === undefined) return;
      const legacy = keysyms.legacy(keysym);
      const had = strokes.get(legacy);
      if (had === undefined || cost(stroke) < cost(had)) strokes.set(legacy, stroke);
    };
    const altgr = flags.includes("altgr");
    add(keysyms.value(name), { code: code ?? 0, shift: flags.includes("shift"), altgr });
    if (flags.includes("addupper")) add(keysyms.value(name.toUpperCase()), { code: code ?? 0, shift: true, altgr });
  });
  return strokes;
}

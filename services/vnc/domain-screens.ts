// The screens of the host's domains, one per domain that has a vfb: what it shows (the guest's
// framebuffer: a PV frontend's once it connects, an HVM guest's once it draws in it; until then
// its console drawn as text), where it is served (a VNC display), and where keys typed on it go
// (the guest's keyboard and pointer, PV or virtio-input, or else its console).

import type { Screen } from "./screen.js";
import type { RfbInput } from "./rfb-server.js";
import type { PvFramebuffer } from "./pv-framebuffer.js";
import type { KeyEvent } from "./keyboard.js";

/** Draws console output as text on a screen. */
export interface ConsoleRenderer {
  write(bytes: Uint8Array): void;
}

/** A screen put on the network: its VNC display, until closed. */
export interface PublishedScreen {
  readonly display: number;
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

export interface PublishOptions {
  readonly name: string;
  readonly listen: string;
  /** A fixed display (vncdisplay=), or the lowest free one. */
  readonly display?: number;
  /** With a fixed display: take a free one if it is in use (vncunused=1). */
  readonly unused: boolean;
  readonly password?: string;
  readonly input: RfbInput;
}

/** Turns a client's keysyms into the guest keyboard's key presses on its layout (keyboard.ts). */
export interface KeyTranslator {
  key(keysym: number, down: boolean): readonly KeyEvent[];
}

/** What main.ts wires in: display ports with RFB and WebSocket, the console's text renderer, layouts. */
export interface ScreenServices {
  publish(screen: Screen, opts: PublishOptions): Promise<PublishedScreen>;
  consoleRenderer(screen: Screen): ConsoleRenderer;
  /** Keys for a guest without a PV keyboard go to its console, as text. */
  typeOnConsole(domid: number, bytes: Uint8Array): void;
  /** A translator for a keymap of the manual's table (en-us, de, fr, …). */
  keyboard(keymap: string): Promise<KeyTranslator>;
}

/** A guest's keyboard: PV (kbdif) or virtio-input. */
export interface GuestKeys {
  key(code: number, down: boolean): void;
  /** A driver takes the keys (else they go to the console as text). */
  readonly listening: boolean;
}

/** A guest's absolute pointer: a position in the screen's pixels and RFB's button mask. */
export interface GuestPointer {
  position(x: number, y: number, buttons: number, width: number, height: number): void;
}

/** A domain's input devices; the keyboard and screen drivers fill it in, in any order. */
export interface GuestInputs {
  keys?: GuestKeys;
  pointer?: GuestPointer;
}

/** The domains' input devices, by domain id. */
export type InputTable = Map<number, GuestInputs>;

export class DomainScreen {
  framebuffer: PvFramebuffer | undefined;
  /** An HVM guest has drawn in its framebuffer: the screen shows that, not the console. */
  hvmFramebuffer = false;
  published: PublishedScreen | undefined;
  private readonly consoleView: ConsoleRenderer;

  constructor(
    readonly domid: number, readonly screen: Screen, private readonly translator: KeyTranslator,
    private readonly services: ScreenServices, private readonly inputs: InputTable,
  ) {
    this.consoleView = services.consoleRenderer(screen);
  }

  /** Console output: drawn while the guest's framebuffer is not connected. */
  console(bytes: Uint8Array): void {
    if (this.framebuffer === undefined && !this.hvmFramebuffer) this.consoleView.write(bytes);
  }

  /** Where a VNC client's keys and pointer go. */
  readonly input: RfbInput = {
    key: (keysym, down) => {
      const keys = this.inputs.get(this.domid)?.keys;
      if (keys?.listening === true) {
        for (const e of this.translator.key(keysym, down)) keys.key(e.code, e.down);
        return;
      }
      if (!down) return;
      const text = keysymText(keysym);
      if (text !== undefined) this.services.typeOnConsole(this.domid, text);
    },
    pointer: (x, y, buttons) => {
      this.inputs.get(this.domid)?.pointer?.position(x, y, buttons, this.screen.width, this.screen.height);
    },
  };
}

/** The bytes a console gets for a key: printable Latin-1, and Return, BackSpace, Tab, Escape. */
export function keysymText(keysym: number): Uint8Array | undefined {
  if (keysym >= 0x20 && keysym <= 0xff) return Uint8Array.of(keysym);
  switch (keysym) {
    case 0xff0d: return Uint8Array.of(0x0d); // Return
    case 0xff08: return Uint8Array.of(0x7f); // BackSpace, as terminals send it
    case 0xff09: return Uint8Array.of(0x09); // Tab
    case 0xff1b: return Uint8Array.of(0x1b); // Escape
    default: return undefined;
  }
}

// Keyboard layouts for the virtual keyboard: the manual's Table 6.2 ("Language and Keymap
// Settings"). The row for Finnish lost its setting in the manual's text; "fi" is QEMU's name.

import { ValueError, show } from "./config-error.js";

export const KEYMAPS = [
  "da", "de", "de-ch", "en-gb", "en-us", "es", "fi", "fr", "fr-be", "fr-ca", "fr-ch", "hu",
  "is", "it", "ja", "nl", "nl-be", "no", "pl", "pt", "pt-br", "ru", "sv",
] as const;

export type Keymap = (typeof KEYMAPS)[number];

/** With no keymap in the domain or in xend-config.sxp, the keyboard is English (US) (manual §6.8). */
export const DEFAULT_KEYMAP: Keymap = "en-us";

export function parseKeymap(text: string): Keymap {
  const found = KEYMAPS.find((k) => k === text);
  if (found === undefined) throw new ValueError(`keymap ${show(text)} is not one of ${KEYMAPS.join(", ")}`);
  return found;
}

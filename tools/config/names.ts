// Checks for the free-form words and texts that configs carry: names, paths, command lines.

import { ValueError, show } from "./config-error.js";

/** Longest text value accepted anywhere in a config (a kernel command line is the longest one). */
export const MAX_TEXT = 4096;

/** A path, a command line or a password: any text of printable characters, not too long. */
export function checkText(what: string, text: string): string {
  if (text.length > MAX_TEXT) throw new ValueError(`${what} is longer than ${MAX_TEXT} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new ValueError(`${what} ${show(text)} contains a control character`);
  return text;
}

const WORD = /^[A-Za-z0-9_.:+-]{1,64}$/;

/** A name made to be typed on a command line and used as a file name: letters, digits, _ . : + - */
export function checkWord(what: string, text: string): string {
  if (!WORD.test(text)) throw new ValueError(`${what} ${show(text)} must be 1 to 64 of the characters A-Z a-z 0-9 _ . : + -`);
  return text;
}

/**
 * A backend instance (a driver domain, in Xen's terms). "0", which Xen's own output uses for
 * Domain-0, means the default instance, as does leaving it out; both read as undefined.
 */
export function parseBackend(text: string): string | undefined {
  checkWord("backend", text);
  return text === "0" ? undefined : text;
}

// The syntax of the manual's "initial startup files" (§6.6): Python assignments, one a line,
//
//   name = "sles11"              # comment
//   memory = 512
//   disk = [ 'file:/var/lib/xen/images/sles11/disk0,xvda,w',
//            'phy:/dev/cdrom,xvdb:cdrom,r', ]
//
// Values are strings in single or double quotes (with Python's backslash escapes), decimal
// integers, or lists of those that may span lines and end with a comma. This file knows the
// syntax only; domain-config.ts knows what the keys mean.

import { ConfigError } from "./config-error.js";

/** The largest startup file read; real ones are a few hundred bytes. */
export const MAX_STARTUP_FILE = 1 << 20;

export type Scalar =
  | { readonly kind: "string"; readonly value: string; readonly line: number }
  | { readonly kind: "int"; readonly value: number; readonly line: number };

export type Value = Scalar | { readonly kind: "list"; readonly items: readonly Scalar[]; readonly line: number };

export interface Assignment {
  readonly key: string;
  readonly line: number;
  readonly value: Value;
}

const ESCAPES: Record<string, string> = {
  "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v", "\n": "",
};

/** Reads every assignment in order; repeated keys are left for the caller to judge. */
export function readStartupFile(text: string, file: string): Assignment[] {
  if (text.length > MAX_STARTUP_FILE) throw new ConfigError(file, 1, undefined, `the file is longer than ${MAX_STARTUP_FILE} characters`);
  let pos = text.startsWith("\uFEFF") ? 1 : 0;
  let line = 1;
  function fail(reason: string, at = line): never {
    throw new ConfigError(file, at, undefined, reason);
  }
  const peek = () => text[pos] ?? "";
  const describe = (c: string) => (c === "" ? "the end of the file" : c === "\n" ? "the end of the line" : JSON.stringify(c));

  // Spaces, and a comment to the end of the line; with `newlines`, line ends too (inside lists).
  const skip = (newlines: boolean) => {
    for (;;) {
      const c = peek();
      if (c === " " || c === "\t" || c === "\r" || c === "\f") pos++;
      else if (c === "#") while (pos < text.length && text[pos] !== "\n") pos++;
      else if (c === "\n" && newlines) { pos++; line++; }
      else return;
    }
  };

  const readString = (): Scalar => {
    const quote = text[pos++];
    const start = line;
    let value = "";
    for (;;) {
      const c = text[pos++];
      if (c === undefined || c === "\n") fail(`this string has no closing ${quote} on its line`, start);
      if (c === quote) return { kind: "string", value, line: start };
      if (c !== "\\") { value += c; continue; }
      const e = text[pos++] ?? "";
      if (e === "\n") line++;
      if (Object.hasOwn(ESCAPES, e)) value += ESCAPES[e];
      else if (e === "x") {
        const hex = text.slice(pos, pos + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail("\\x in a string needs two hex digits");
        value += String.fromCharCode(parseInt(hex, 16));
        pos += 2;
      } else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(peek())) digits += text[pos++];
        value += String.fromCharCode(parseInt(digits, 8));
      } else if (e === "") fail(`this string has no closing ${quote}`, start);
      else value += `\\${e}`; // Python keeps unknown escapes as they are
    }
  };

  const readInt = (): Scalar => {
    const m = /^\d+/.exec(text.slice(pos, pos + 32)) ?? [""];
    const digits = m[0];
    if (digits.length > 15) fail(`the number ${digits}… is too large`);
    if (digits.length > 1 && digits.startsWith("0")) fail(`${digits}: a decimal number cannot start with 0 (as in Python)`);
    pos += digits.length;
    if (/[A-Za-z_.]/.test(peek())) fail(`${digits}${peek()}…: only whole decimal numbers are allowed (quote text values)`);
    return { kind: "int", value: Number(digits), line };
  };

  const readScalar = (): Scalar | undefined => {
    const c = peek();
    if (c === "'" || c === '"') return readString();
    if (c >= "0" && c <= "9") return readInt();
    return undefined;
  };

  const readList = (): Value => {
    const start = line;
    pos++; // [
    const items: Scalar[] = [];
    for (;;) {
      skip(true);
      if (peek() === "]") { pos++; return { kind: "list", items, line: start }; }
      if (peek() === "") fail("this list has no closing ]", start);
      if (peek() === "[") fail("lists cannot be nested");
      const item = readScalar();
      if (item === undefined) fail(`expected a quoted string or a number in the list, found ${describe(peek())}`);
      items.push(item);
      skip(true);
      if (peek() === ",") pos++;
      else if (peek() !== "]") fail(peek() === "" ? "this list has no closing ]" : `expected , or ] after a list item, found ${describe(peek())}`, peek() === "" ? start : line);
    }
  };

  const assignments: Assignment[] = [];
  for (;;) {
    skip(true);
    if (pos >= text.length) return assignments;
    const key = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(pos, pos + 64))?.[0];
    if (key === undefined) fail(`expected a setting such as memory = 512, found ${describe(peek())}`);
    const at = line;
    pos += key.length;
    skip(false);
    if (peek() !== "=") fail(`expected = after ${key}, found ${describe(peek())}`);
    pos++;
    skip(false);
    const value = peek() === "[" ? readList() : readScalar();
    if (value === undefined) fail(`expected a value for ${key}: a quoted string, a number or a [ list ], found ${describe(peek())}`);
    skip(false);
    if (peek() !== "\n" && peek() !== "") fail(`unexpected ${describe(peek())} after the value of ${key}`);
    assignments.push({ key, line: at, value });
  }
}

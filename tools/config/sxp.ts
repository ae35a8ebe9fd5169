// S-expressions as Xen writes them (xen/xend/sxp.py): `(domain (name vm1) (memory 512))`.
//
//   value   = atom | string | "(" value* ")"
//   atom    = a run of characters other than white space, ( ) and # — a quote inside it is kept
//   string  = '…' or "…" with the escapes \a \b \t \n \v \f \r \\ \' \" \xH[H] \o[o[o]];
//             an unknown escape is kept as it is, as Xen does
//   comment = # to the end of the line
//
// Atoms and strings are both just text once read. The printer lays lists out as `xm list -l`
// does: on one line when they fit in 80 columns, else one child a line, indented by four.

import { ConfigError } from "./config-error.js";

/** A value without positions: text, or a list of values. */
export type Sxp = string | readonly Sxp[];

export type SxpNode =
  | { readonly kind: "atom"; readonly value: string; readonly line: number; readonly column: number }
  | { readonly kind: "list"; readonly items: readonly SxpNode[]; readonly line: number; readonly column: number };

/** The largest SXP text read, and the deepest nesting: both far beyond any domain's. */
export const MAX_SXP_TEXT = 1 << 20;
export const MAX_SXP_DEPTH = 64;

const SPACE = new Set([" ", "\t", "\n", "\v", "\f", "\r"]);
const ESCAPES: Record<string, string> = { a: "\x07", b: "\b", t: "\t", n: "\n", v: "\v", f: "\f", r: "\r", "\\": "\\", "'": "'", '"': '"' };

function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && !SPACE.has(c)) || code === 0x7f;
}

/** Reads every value in `text`; `file` names it in errors, which are ConfigErrors at LINE:COL. */
export function readSxp(text: string, file: string): SxpNode[] {
  if (text.length > MAX_SXP_TEXT) throw new ConfigError(file, 1, 1, `the text is longer than ${MAX_SXP_TEXT} characters`);
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  const column = () => pos - lineStart + 1;
  function fail(reason: string, l = line, c = column()): never {
    throw new ConfigError(file, l, c, reason);
  }
  const advance = () => {
    if (text[pos] === "\n") { line++; lineStart = pos + 1; }
    pos++;
  };

  const readString = (): SxpNode => {
    const l = line, c = column();
    const quote = text[pos];
    advance();
    let value = "";
    for (;;) {
      if (pos >= text.length) fail(`the string opened at ${l}:${c} has no closing ${quote}`);
      const ch = text[pos];
      advance();
      if (ch === quote) return { kind: "atom", value, line: l, column: c };
      if (ch !== "\\") { value += ch; continue; }
      if (pos >= text.length) fail(`the string opened at ${l}:${c} has no closing ${quote}`);
      const e = text[pos];
      if (Object.hasOwn(ESCAPES, e)) { value += ESCAPES[e]; advance(); continue; }
      const digits = e === "x" ? /^[0-9a-fA-F]{1,2}/.exec(text.slice(pos + 1, pos + 3))?.[0] : /^[0-7]{1,3}/.exec(text.slice(pos, pos + 3))?.[0];
      if (e === "x" && digits === undefined) fail("\\x must be followed by one or two hex digits");
      if (digits === undefined) { value += "\\"; continue; } // unknown escape: kept, as in Xen
      const code = parseInt(digits, e === "x" ? 16 : 8);
      if (code > 0xff) fail(`the escape \\${digits} is larger than 0xff`);
      value += String.fromCharCode(code);
      pos += digits.length + (e === "x" ? 1 : 0);
    }
  };

  const readAtom = (): SxpNode => {
    const l = line, c = column();
    const start = pos;
    while (pos < text.length && !SPACE.has(text[pos]) && text[pos] !== "(" && text[pos] !== ")" && text[pos] !== "#") {
      if (isControl(text[pos])) fail(`invalid character U+${text.charCodeAt(pos).toString(16).padStart(4, "0")}`);
      pos++;
    }
    return { kind: "atom", value: text.slice(start, pos), line: l, column: c };
  };

  // A stack of open lists instead of recursion, so depth costs no call stack.
  const top: SxpNode[] = [];
  const open: { items: SxpNode[]; line: number; column: number }[] = [];
  const emit = (node: SxpNode) => (open.length === 0 ? top : open[open.length - 1].items).push(node);
  while (pos < text.length) {
    const ch = text[pos];
    if (SPACE.has(ch)) advance();
    else if (ch === "#") while (pos < text.length && text[pos] !== "\n") pos++;
    else if (ch === "(") {
      if (open.length === MAX_SXP_DEPTH) fail(`lists are nested deeper than ${MAX_SXP_DEPTH} levels`);
      open.push({ items: [], line, column: column() });
      pos++;
    } else if (ch === ")") {
      const list = open.pop();
      if (list === undefined) fail("unexpected ) with no ( to close");
      pos++;
      emit({ kind: "list", items: list.items, line: list.line, column: list.column });
    } else if (ch === "'" || ch === '"') emit(readString());
    else if (isControl(ch)) fail(`invalid character U+${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
    else emit(readAtom());
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) fail("this ( is never closed", unclosed.line, unclosed.column);
  return top;
}

/** Drops the positions of a node. */
export function plain(node: SxpNode): Sxp {
  return node.kind === "atom" ? node.value : node.items.map(plain);
}

// Atoms printed without quotes: those both this reader and Xen's read back as one atom.
const BARE = /^[$%&*+,\-./0-9:=?@A-Z^_`a-z|~]+$/;

function atom(text: string): string {
  return BARE.test(text) ? text : singleQuoted(text);
}

/**
 * A string in single quotes with backslash escapes: read back the same by this SXP reader, by the
 * startup-file reader, and by Python (the manual's config files are Python).
 */
export function singleQuoted(text: string): string {
  let out = "'";
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c === "\\" || c === "'") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\t") out += "\\t";
    else if (c === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += c;
  }
  return `${out}'`;
}

/** Prints a value on one line. */
export function showSxp(value: Sxp): string {
  return typeof value === "string" ? atom(value) : `(${value.map(showSxp).join(" ")})`;
}

/** Prints a value in the indented style of `xm list -l`, ending with a newline. */
export function printSxp(value: Sxp, width = 80): string {
  const layout = (v: Sxp, indent: number): string => {
    const flat = showSxp(v);
    if (typeof v === "string" || indent + flat.length <= width || v.length === 0) return flat;
    const pad = " ".repeat(indent + 4);
    const [head, rest] = typeof v[0] === "string" ? [atom(v[0]), v.slice(1)] : ["", v];
    return `(${head}${rest.map((child) => `\n${pad}${layout(child, indent + 4)}`).join("")}\n${" ".repeat(indent)})`;
  };
  return `${layout(value, 0)}\n`;
}

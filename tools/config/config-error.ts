// The two errors of the configuration layer. A ValueError says what is wrong with one value and
// knows nothing of files; the file readers catch it and throw a ConfigError that says where.

/** Something in a configuration file is wrong; the message is `FILE:LINE[:COL]: reason`. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly file: string;
  readonly line: number;
  readonly column: number | undefined;
  readonly reason: string;

  constructor(file: string, line: number, column: number | undefined, reason: string) {
    super(`${file}:${line}${column === undefined ? "" : `:${column}`}: ${reason}`);
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** One value (a rate, a MAC, a device name…) is malformed; the reason says what is allowed. */
export class ValueError extends Error {
  override name = "ValueError";
}

/** Where a value was read: a line, and a column where the format has them (SXP does). */
export interface Where {
  readonly line: number;
  readonly column?: number;
}

/** Shows a piece of user input in a message: quoted, escaped, and cut short if long. */
export function show(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

// xm's argument parsing, in the style of the getopt.gnu_getopt that Xen's xm uses: short options
// (-l, -c, -w 256, -w256, clustered -lc), long options (--long, --weight=256, --weight 256),
// options and operands in any order, and "--" ending the options. Every failure is an XmUsageError
// naming the subcommand and the option, so xm can print it with the subcommand's usage.

export class XmUsageError extends Error {
  override name = "XmUsageError";
  constructor(readonly command: string, message: string) {
    super(message);
  }
}

export interface OptionSpec {
  /** The canonical name the parsed result uses, e.g. "long". */
  readonly name: string;
  readonly short?: string;
  readonly long?: string;
  /** Takes a value (-w 256 / --weight=256). */
  readonly value?: boolean;
}

export interface ParsedArgs {
  /** Options by canonical name: true for flags, the value (last one wins) for the others. */
  readonly options: ReadonlyMap<string, string | true>;
  readonly operands: readonly string[];
}

export function parseArgs(command: string, args: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const options = new Map<string, string | true>();
  const operands: string[] = [];
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short as string, s]));
  const byLong = new Map(specs.filter((s) => s.long !== undefined).map((s) => [s.long as string, s]));
  const fail = (msg: string): never => { throw new XmUsageError(command, msg); };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      // Unique prefixes are accepted, as getopt does (--lo for --long).
      const exact = byLong.get(name);
      const candidates = exact !== undefined ? [exact] : specs.filter((s) => s.long?.startsWith(name) === true && name !== "");
      if (candidates.length === 0) fail(`option --${name} not recognized`);
      if (candidates.length > 1) fail(`option --${name} is ambiguous (${candidates.map((c) => `--${c.long}`).join(", ")})`);
      const spec = candidates[0];
      if (spec.value === true) {
        let value: string;
        if (eq >= 0) value = arg.slice(eq + 1);
        else if (i + 1 < args.length) value = args[++i];
        else fail(`option --${spec.long} requires an argument`);
        options.set(spec.name, value!);
      } else {
        if (eq >= 0) fail(`option --${spec.long} must not have an argument`);
        options.set(spec.name, true);
      }
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j];
        const spec = byShort.get(c);
        if (spec === undefined) fail(`option -${c} not recognized`);
        if (spec!.value === true) {
          let value: string;
          if (j + 1 < arg.length) value = arg.slice(j + 1);
          else if (i + 1 < args.length) value = args[++i];
          else fail(`option -${c} requires an argument`);
          options.set(spec!.name, value!);
          break;
        }
        options.set(spec!.name, true);
      }
      continue;
    }
    operands.push(arg);
  }
  return { options, operands };
}

/** A whole number option or operand within bounds, e.g. a weight or a vCPU count. */
export function wholeNumber(command: string, what: string, text: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new XmUsageError(command, `${what} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return Number(text);
}

const UNIT_BYTES: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * A memory size in MiB from xm's notation: a number with an optional unit b, k, m, g or t (either
 * case), megabytes when none is given, as Xen's int_unit(value, 'm'). Rounds down to whole MiB.
 */
export function memoryMiB(command: string, text: string): number {
  const m = /^(\d{1,12})([bkmgtBKMGT]?)$/.exec(text);
  const mib = m === null ? NaN : Math.floor((Number(m[1]) * UNIT_BYTES[(m[2] || "m").toLowerCase()]) / 1024 ** 2);
  if (!Number.isFinite(mib) || mib < 1 || mib > 1 << 20) {
    throw new XmUsageError(command, `memory "${text}" must be a size like 256, 256m or 1g, from 1 MiB to 1 TiB`);
  }
  return mib;
}

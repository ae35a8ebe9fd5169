// xm: the manual's command line for managing domains (§4.4), talking to xend. `xm <subcommand>
// [domain-id] [OPTIONS]`; errors say "Error: …" with what to do, and the exit status is 1 for a
// failed operation and 2 for a malformed command line.

import { ConfigError } from "../config/config-error.js";
import { NotRunningError, RemoteError, RequestTimeout, ConnectionClosed, ProtocolViolation } from "../lib/frame-connection.js";
import { resolveHome } from "../lib/home.js";
import { parseArgs, XmUsageError } from "./args.js";
import { COMMANDS, findCommand, XmError, type XmContext } from "./commands.js";
import { XendClient } from "./xend-client.js";

export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: xm <subcommand> [args] [--json]",
    "",
    "Control, list, and manipulate Domus domains.",
    "",
    ...COMMANDS.map((c) => ` ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "<Domain> can be a domain name or id. DOMUS_HOME (default ~/.domus) selects the host.",
    "",
  ].join("\n");
}

/** Takes --json and --home out of the arguments (before any "--"). */
export function globalOptions(args: readonly string[]): { json: boolean; home?: string; rest: string[] } {
  const rest: string[] = [];
  let json = false;
  let home: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") { rest.push(...args.slice(i)); break; }
    if (a === "--json") json = true;
    else if (a === "--home" && i + 1 < args.length) home = args[++i];
    else if (a.startsWith("--home=")) home = a.slice("--home=".length);
    else rest.push(a);
  }
  return { json, home, rest };
}

export async function xmMain(argv: readonly string[], io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process): Promise<number> {
  const { json, home: homeFlag, rest } = globalOptions(argv);
  const out = (t: string): void => void io.stdout.write(t);
  const err = (t: string): void => void io.stderr.write(t);
  const [name, ...args] = rest;
  if (name === undefined || name === "help" || name === "-h" || name === "--help") {
    const cmd = args[0] === undefined ? undefined : findCommand(args[0]);
    out(cmd === undefined ? help() : `Usage: xm ${cmd.usage}\n\n${cmd.summary}\n`);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const cmd = findCommand(name);
  if (cmd === undefined) {
    err(`Error: Subcommand ${name} not found!\nUsage: xm <subcommand> [args]; \`xm help\` lists the subcommands.\n`);
    return EXIT_USAGE;
  }
  let client: XendClient | undefined;
  const ctx: XmContext = {
    home: resolveHome(homeFlag),
    json, out, err,
    stdin: io.stdin, stdout: io.stdout,
    async xend() {
      client ??= await XendClient.connect(this.home);
      return client;
    },
  };
  try {
    if (args.includes("-h") || args.includes("--help")) {
      out(`Usage: xm ${cmd.usage}\n\n${cmd.summary}\n`);
      return 0;
    }
    const parsed = parseArgs(cmd.name, args, cmd.options);
    const [min, max] = cmd.operands;
    if (parsed.operands.length < min || parsed.operands.length > max) {
      throw new XmUsageError(cmd.name, parsed.operands.length < min
        ? `'xm ${cmd.name}' requires ${min === max ? "" : "at least "}${min} argument${min === 1 ? "" : "s"}.`
        : `'xm ${cmd.name}' takes ${max === 0 ? "no" : `at most ${max}`} argument${max === 1 ? "" : "s"}, not ${parsed.operands.length}.`);
    }
    return await cmd.run(ctx, parsed);
  } catch (e) {
    if (e instanceof XmUsageError) {
      err(`Error: ${e.message}\nUsage: xm ${cmd.usage}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ConfigError || e instanceof XmError || e instanceof NotRunningError || e instanceof RemoteError
      || e instanceof RequestTimeout || e instanceof ConnectionClosed || e instanceof ProtocolViolation) {
      err(`Error: ${e.message}\n`);
      return EXIT_FAILED;
    }
    throw e;
  } finally {
    client?.close();
  }
}

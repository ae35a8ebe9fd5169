// xm's subcommands: their usage lines, options, operand counts and what each does. Names, options
// and output follow the manual and Xen's xm; `--json` (anywhere on the line) prints the data as
// JSON instead of the table.

import { readFileSync } from "node:fs";
import type { XendDomain, XendRequest } from "../../kernel/public/xend-protocol.js";
import { parseDomainConfig } from "../config/domain-config.js";
import { formatDomainSxp } from "../config/domain-sxp.js";
import { attachConsole } from "./console.js";
import { memoryMiB, wholeNumber, XmUsageError, type OptionSpec, type ParsedArgs } from "./args.js";
import { formatBlockList, formatNetworkList, formatInfo, formatList, formatSchedCredit, formatVcpuList } from "./format.js";
import type { XendClient } from "./xend-client.js";
import { cpus as hostCpus } from "node:os";
import { parseCpus } from "../config/cpus.js";

export interface XmContext {
  readonly home: string;
  readonly json: boolean;
  out(text: string): void;
  err(text: string): void;
  xend(): Promise<XendClient>;
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
}

export interface XmCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  readonly operands: readonly [min: number, max: number];
  run(ctx: XmContext, args: ParsedArgs): Promise<number>;
}

/** A failure to show the user as "Error: …" (xm's form), exit status 1. */
export class XmError extends Error {
  override name = "XmError";
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new XmError(code === "ENOENT" ? `config file ${path} does not exist` : `cannot read config file ${path}: ${(e as Error).message}`);
  }
}

/** A startup file (§6.6) as the SXP xend takes; its errors name FILE:LINE. */
function startupFileAsSxp(path: string): string {
  return formatDomainSxp(parseDomainConfig(readConfigFile(path), path));
}

function printJson(ctx: XmContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}

async function simple(ctx: XmContext, req: XendRequest, done: string): Promise<number> {
  const xend = await ctx.xend();
  await xend.simple(req);
  if (ctx.json) printJson(ctx, { ok: true });
  else if (done !== "") ctx.out(`${done}\n`);
  return 0;
}

async function change(ctx: XmContext, req: XendRequest): Promise<number> {
  const result = await (await ctx.xend()).change(req);
  if (ctx.json) printJson(ctx, { ok: true, ...result });
  else if (result.deferred !== undefined) ctx.err(`Warning: ${result.deferred}\n`);
  return 0;
}

/** How long `-w` waits for a guest asked through control/shutdown (xend's own limit too). */
export const GUEST_WAIT_MS = 30_000;

/**
 * Wait until the domain is gone (shutdown -w) or back under a new id (reboot -w). With a
 * deadline, give up when it passes and say the domain is still running.
 */
async function waitFor(ctx: XmContext, domain: string, reboot: boolean, oldId: number | null, deadlineMs?: number): Promise<boolean> {
  const xend = await ctx.xend();
  const until = deadlineMs === undefined ? undefined : Date.now() + deadlineMs;
  for (;;) {
    const all = await xend.list();
    const d = all.find((x) => x.name === domain || String(x.domid) === domain || (oldId !== null && x.domid === oldId));
    if (reboot ? d !== undefined && d.domid !== oldId && d.domid !== null : d === undefined || d.domid === null || d.domid !== oldId) return true;
    if (until !== undefined && Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * create and start, with -p and -c: with -c the domain is built paused and runs once the console
 * follows it, so the console shows it from its first line even if it is gone a moment later.
 */
async function startWithConsole(ctx: XmContext, a: ParsedArgs, start: (xend: XendClient, paused: boolean) => Promise<XendDomain>): Promise<number> {
  const paused = a.options.has("paused");
  const withConsole = a.options.has("console");
  const xend = await ctx.xend();
  const d = await start(xend, paused || withConsole);
  if (ctx.json) printJson(ctx, d);
  if (!withConsole) return 0;
  return consoleOf(ctx, d.name, paused ? undefined : () => xend.simple({ op: "domain.unpause", domain: String(d.domid) }));
}

/** `attached`: what to do once the console shows the domain's output (create -c: let it run). */
async function consoleOf(ctx: XmContext, domain: string, attached?: () => Promise<void>): Promise<number> {
  const [d] = await (await ctx.xend()).list([domain]);
  if (d.domid === null) throw new XmError(`Domain '${d.name}' is not running; start it with \`xm start ${d.name}\``);
  if (d.domid === 0) throw new XmError("Domain-0 is the host; its console is this terminal");
  return attachConsole(ctx.home, d.domid, d.name, { input: ctx.stdin, output: ctx.stdout }, attached);
}

const DOM = "<Domain>";

export const COMMANDS: readonly XmCommand[] = [
  {
    name: "create", usage: "create <ConfigFile> [-c] [-p]", summary: "Create a domain based on <ConfigFile>.",
    options: [{ name: "console", short: "c", long: "console_autoconnect" }, { name: "paused", short: "p", long: "paused" }],
    operands: [1, 1],
    async run(ctx, a) {
      const file = a.operands[0];
      const sxp = startupFileAsSxp(file);
      return startWithConsole(ctx, a, async (xend, paused) => {
        const d = await xend.create(sxp, file, paused);
        if (!ctx.json) ctx.out(`Started domain ${d.name} (id=${d.domid ?? "?"})\n`);
        return d;
      });
    },
  },
  {
    name: "new", usage: "new <ConfigFile> [-F]", summary: "Adds a domain to Xend domain management (-F: the file is SXP, as xm list -l prints).",
    options: [{ name: "sxp", short: "F" }],
    operands: [1, 1],
    async run(ctx, a) {
      const file = a.operands[0];
      const sxp = a.options.has("sxp") ? readConfigFile(file) : startupFileAsSxp(file);
      const d = await (await ctx.xend()).newManaged(sxp, file);
      if (ctx.json) printJson(ctx, d);
      return 0;
    },
  },
  {
    name: "delete", usage: `delete ${DOM}`, summary: "Remove a domain from Xend domain management.", options: [], operands: [1, 1],
    run: (ctx, a) => simple(ctx, { op: "domain.delete", domain: a.operands[0] }, ""),
  },
  {
    name: "start", usage: `start ${DOM} [-p] [-c]`, summary: "Start a Xend managed domain.",
    options: [{ name: "paused", short: "p", long: "paused" }, { name: "console", short: "c", long: "console_autoconnect" }],
    operands: [1, 1],
    run: (ctx, a) => startWithConsole(ctx, a, (xend, paused) => xend.start(a.operands[0], paused)),
  },
  {
    name: "list", usage: "list [options] [Domain, ...]", summary: "List information about all/some domains (-l: as SXP).",
    options: [{ name: "long", short: "l", long: "long" }],
    operands: [0, Infinity],
    async run(ctx, a) {
      const xend = await ctx.xend();
      const domains = await xend.list(a.operands);
      if (a.options.has("long") && !ctx.json) {
        for (const d of domains) ctx.out(await xend.sxp(d.domid === null ? d.name : String(d.domid)));
      } else if (ctx.json) printJson(ctx, domains);
      else ctx.out(formatList(domains));
      return 0;
    },
  },
  {
    name: "console", usage: `console ${DOM}`, summary: "Attach to <Domain>'s console (Ctrl-] detaches).", options: [], operands: [1, 1],
    run: (ctx, a) => consoleOf(ctx, a.operands[0]),
  },
  {
    name: "pause", usage: `pause ${DOM}`, summary: "Pause execution of a domain.", options: [], operands: [1, 1],
    run: (ctx, a) => simple(ctx, { op: "domain.pause", domain: a.operands[0] }, ""),
  },
  {
    name: "unpause", usage: `unpause ${DOM}`, summary: "Unpause a paused domain.", options: [], operands: [1, 1],
    run: (ctx, a) => simple(ctx, { op: "domain.unpause", domain: a.operands[0] }, ""),
  },
  ...(["shutdown", "reboot"] as const).map((verb): XmCommand => ({
    name: verb, usage: `${verb} ${DOM} [-w]`,
    summary: verb === "shutdown" ? "Shutdown a domain (-w: wait until it is gone)." : "Reboot a domain (-w: wait until it is back).",
    options: [{ name: "wait", short: "w", long: "wait" }],
    operands: [1, 1],
    async run(ctx, a) {
      const domain = a.operands[0];
      const [d] = await (await ctx.xend()).list([domain]);
      const result = await (await ctx.xend()).shutdown(domain, verb === "reboot" ? "reboot" : "poweroff");
      if (result.warning !== undefined) ctx.err(`Warning: ${result.warning}\n`);
      if (a.options.has("wait")) {
        // A guest asked through control/shutdown may ignore it; Xen's xm never forces it.
        const done = await waitFor(ctx, d.name, verb === "reboot", d.domid, result.via === "guest" ? GUEST_WAIT_MS : undefined);
        if (!done) {
          throw new XmError(`Domain '${d.name}' did not ${verb === "reboot" ? "reboot" : "shut down"} within ${GUEST_WAIT_MS / 1000} s of the request (control/shutdown); it is still running. \`xm destroy ${d.name}\` stops it`);
        }
      }
      if (ctx.json) printJson(ctx, { ok: true, ...result });
      return 0;
    },
  })),
  {
    name: "destroy", usage: `destroy ${DOM}`, summary: "Terminate a domain immediately.", options: [], operands: [1, 1],
    run: (ctx, a) => simple(ctx, { op: "domain.destroy", domain: a.operands[0] }, ""),
  },
  {
    name: "sched-credit", usage: "sched-credit [-d <Domain> [-w <Weight>] [-c <Cap>]]", summary: "Get/set credit scheduler parameters.",
    options: [{ name: "domain", short: "d", long: "domain", value: true }, { name: "weight", short: "w", long: "weight", value: true }, { name: "cap", short: "c", long: "cap", value: true }],
    operands: [0, 0],
    async run(ctx, a) {
      const domain = a.options.get("domain") as string | undefined;
      const w = a.options.get("weight") as string | undefined;
      const c = a.options.get("cap") as string | undefined;
      const weight = w === undefined ? undefined : wholeNumber("sched-credit", "weight", w, 1, 65535);
      const cap = c === undefined ? undefined : wholeNumber("sched-credit", "cap", c, 0, 100 * hostCpus().length);
      const xend = await ctx.xend();
      if (weight === undefined && cap === undefined) {
        const domains = await xend.list(domain === undefined ? undefined : [domain]);
        if (ctx.json) printJson(ctx, domains.map((d) => ({ name: d.name, domid: d.domid, weight: d.weight, cap: d.cap })));
        else ctx.out(formatSchedCredit(domains));
        return 0;
      }
      if (domain === undefined) throw new XmUsageError("sched-credit", "No domain given (-d <Domain>).");
      return simple(ctx, { op: "domain.sched-credit", domain, weight, cap }, "");
    },
  },
  {
    name: "vcpu-list", usage: "vcpu-list [Domain, ...]", summary: "List the VCPUs for all/some domains.", options: [], operands: [0, Infinity],
    async run(ctx, a) {
      const vcpus = await (await ctx.xend()).vcpuList(a.operands);
      if (ctx.json) printJson(ctx, vcpus);
      else ctx.out(formatVcpuList(vcpus, hostCpus().length));
      return 0;
    },
  },
  {
    name: "vcpu-pin", usage: `vcpu-pin ${DOM} <VCPU|all> <CPUs|all>`, summary: "Set which CPUs a VCPU can use.", options: [], operands: [3, 3],
    run(ctx, a) {
      const [domain, v, c] = a.operands;
      const vcpu = v === "all" ? "all" : wholeNumber("vcpu-pin", "VCPU", v, 0, 1023);
      let cpus: number[];
      try {
        cpus = c === "all" ? [] : parseCpus(c);
      } catch (e) {
        throw new XmUsageError("vcpu-pin", (e as Error).message);
      }
      return change(ctx, { op: "domain.vcpu-pin", domain, vcpu, cpus });
    },
  },
  {
    name: "vcpu-set", usage: `vcpu-set ${DOM} <vCPUs>`, summary: "Set the number of active VCPUs for a domain.", options: [], operands: [2, 2],
    run: (ctx, a) => change(ctx, { op: "domain.vcpu-set", domain: a.operands[0], vcpus: wholeNumber("vcpu-set", "vCPUs", a.operands[1], 1, 32) }),
  },
  {
    name: "mem-set", usage: `mem-set ${DOM} <Mem>`, summary: "Set the current memory usage for a domain.", options: [], operands: [2, 2],
    run: (ctx, a) => change(ctx, { op: "domain.mem-set", domain: a.operands[0], memoryMiB: memoryMiB("mem-set", a.operands[1]) }),
  },
  {
    name: "mem-max", usage: `mem-max ${DOM} <Mem>`, summary: "Set the maximum amount reservation for a domain.", options: [], operands: [2, 2],
    run: (ctx, a) => change(ctx, { op: "domain.mem-max", domain: a.operands[0], maxmemMiB: memoryMiB("mem-max", a.operands[1]) }),
  },
  {
    name: "block-attach", usage: `block-attach ${DOM} <BackDev> <FrontDev> <Mode>`,
    summary: "Create a new virtual block device (e.g. file:/path/disk.img xvdb w).", options: [], operands: [4, 4],
    run: (ctx, a) => simple(ctx, { op: "domain.block-attach", domain: a.operands[0], uname: a.operands[1], dev: a.operands[2], mode: a.operands[3] }, ""),
  },
  {
    name: "block-detach", usage: `block-detach ${DOM} <DevId>`, summary: "Destroy a domain's virtual block device (DevId: xvdb or 51728).",
    options: [], operands: [2, 2],
    run: (ctx, a) => simple(ctx, { op: "domain.block-detach", domain: a.operands[0], dev: a.operands[1] }, ""),
  },
  {
    name: "block-list", usage: `block-list ${DOM}`, summary: "List virtual block devices for a domain.", options: [], operands: [1, 1],
    async run(ctx, a) {
      const vbds = await (await ctx.xend()).blockList(a.operands[0]);
      if (ctx.json) printJson(ctx, vbds);
      else ctx.out(formatBlockList(vbds));
      return 0;
    },
  },
  {
    name: "network-attach", usage: `network-attach ${DOM} [type=<type>] [mac=<mac>] [bridge=<bridge>] [ip=<ip>] [rate=<rate>] [model=<model>]`,
    summary: "Create a new virtual network device.", options: [], operands: [1, 9],
    run: (ctx, a) => simple(ctx, { op: "domain.network-attach", domain: a.operands[0], settings: a.operands.slice(1).join(",") }, ""),
  },
  {
    name: "network-detach", usage: `network-detach ${DOM} <DevId>`, summary: "Destroy a domain's virtual network device.", options: [], operands: [2, 2],
    run: (ctx, a) => simple(ctx, { op: "domain.network-detach", domain: a.operands[0], devid: wholeNumber("network-detach", "DevId", a.operands[1], 0, 1 << 20) }, ""),
  },
  {
    name: "network-list", usage: `network-list ${DOM}`, summary: "List virtual network interfaces for a domain.", options: [], operands: [1, 1],
    async run(ctx, a) {
      const vifs = await (await ctx.xend()).networkList(a.operands[0]);
      if (ctx.json) printJson(ctx, vifs);
      else ctx.out(formatNetworkList(vifs));
      return 0;
    },
  },
  {
    name: "info", usage: "info", summary: "Get information about Xen host.", options: [], operands: [0, 0],
    async run(ctx) {
      const rows = await (await ctx.xend()).hostInfo();
      if (ctx.json) printJson(ctx, Object.fromEntries(rows));
      else ctx.out(formatInfo(rows));
      return 0;
    },
  },
  {
    name: "dmesg", usage: "dmesg [-c|--clear]", summary: "Read and/or clear the kernel's message buffer.",
    options: [{ name: "clear", short: "c", long: "clear" }], operands: [0, 0],
    async run(ctx, a) {
      const text = await (await ctx.xend()).dmesg(a.options.has("clear"));
      if (ctx.json) printJson(ctx, { dmesg: text });
      else ctx.out(text);
      return 0;
    },
  },
];

export function findCommand(name: string): XmCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}

#!/usr/bin/env node
// `domus`: the command line. `domus run` runs one machine in the foreground, in the style of
// qemu-system-riscv64; the console is this terminal. `domus up`/`down`/`status` run a whole host
// (kernel, services, xend) in the background, and `domus xm ...` is the manual's xm.

import { Command, InvalidArgumentError } from "commander";
import { resolveHome } from "./lib/home.js";
import { quitWhenStdoutCloses } from "./lib/closed-stdout.js";

quitWhenStdoutCloses();
// Each subcommand loads its modules when it runs: `domus run` starts a guest without paying for
// the supervisor's and xend's code (a measurable part of the time to the first console line).
const runCommand = async (opts: RunOptions): Promise<number> => (await import("./run.js")).runCommand(opts);

function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${what} must be a positive whole number, not "${value}"`);
    }
    return n;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const program = new Command();
program.name("domus").description("Domus: a readable RISC-V hypervisor").showHelpAfterError().enablePositionalOptions();
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const complain = (line: string): void => void process.stderr.write(`${line}\n`);
const write = (text: string): void => void process.stdout.write(text);

program
  .command("run")
  .description("run one RISC-V machine (QEMU virt board layout) in the foreground")
  .option("--builder <hvm|linux>", "hvm: the full board from reset; linux: a paravirtual kernel in S-mode", "hvm")
  .option("--bios <file|none>", "M-mode firmware loaded at 0x80000000, or none", "none")
  .option("--kernel <file>", "kernel image (raw or ELF); after firmware it goes to 0x80200000")
  .option("--initrd <file>", "initial ramdisk")
  .option("--append <args>", "kernel command line (device tree /chosen/bootargs)")
  .option("-m, --memory <MiB>", "guest RAM in MiB", positiveInt("memory"), 128)
  .option("--smp <n>", "number of harts", positiveInt("--smp"), 1)
  .option("--drive <spec>", "virtio-blk disk: file=PATH,format=raw[,readonly=on] (repeatable)", collect, [])
  .action(async (opts: RunOptions) => {
    process.exitCode = await runCommand(opts);
  });

program
  .command("demo")
  .description("start a host with demo guests (U-Boot HVM, minios PV) and attach U-Boot's console (Ctrl-] detaches)")
  .option("--home <dir>", "the host's directory (default: $DOMUS_HOME or ~/.domus)")
  .action(async (opts: { home?: string }) => {
    const { demo } = await import("./demo.js");
    process.exitCode = await demo(resolveHome(opts.home));
  });

program
  .command("up")
  .description("start a Domus host in the background: kernel, services and xend, supervised")
  .option("--home <dir>", "the host's directory (default: $DOMUS_HOME or ~/.domus)")
  .action(async (opts: { home?: string }) => {
    const home = resolveHome(opts.home);
    const { up } = await import("./supervisor/up.js");
    const { showStatus } = await import("./supervisor/show-status.js");
    const result = await up(home, complain);
    if (result.code === 0) showStatus(home, false, say);
    process.exitCode = result.code;
  });

program
  .command("down")
  .description("stop the Domus host (services in reverse order; guests end with the kernel)")
  .option("--home <dir>", "the host's directory (default: $DOMUS_HOME or ~/.domus)")
  .action(async (opts: { home?: string }) => {
    const { down } = await import("./supervisor/down.js");
    process.exitCode = await down(resolveHome(opts.home), say);
  });

program
  .command("status")
  .description("show the supervisor and each service: pid, state, restarts, uptime")
  .option("--home <dir>", "the host's directory (default: $DOMUS_HOME or ~/.domus)")
  .option("--json", "print the status as JSON")
  .action(async (opts: { home?: string; json?: boolean }) => {
    const { showStatus } = await import("./supervisor/show-status.js");
    process.exitCode = showStatus(resolveHome(opts.home), opts.json === true, say);
  });

const HOME_OPTION = ["--home <dir>", "the host's directory (default: $DOMUS_HOME or ~/.domus)"] as const;

program
  .command("brctl")
  .description("the host's bridges, as `brctl show` lists them")
  .argument("<show>", "the only subcommand: show")
  .option(...HOME_OPTION)
  .action(async (sub: string, opts: { home?: string }) => {
    if (sub !== "show") throw new InvalidArgumentError(`unknown brctl subcommand "${sub}" (known: show)`);
    const { brctlShow } = await import("./net/commands.js");
    process.exitCode = await brctlShow(resolveHome(opts.home), write);
  });

const net = program.command("net").description("the network service: ports, a live view of one port, captures");
net
  .command("ports")
  .description("every bridge port with its counters (RX: what came from the guest)")
  .option(...HOME_OPTION)
  .option("--json", "print the counters as JSON")
  .action(async (opts: { home?: string; json?: boolean }) => {
    const { ports } = await import("./net/commands.js");
    process.exitCode = await ports(resolveHome(opts.home), opts.json === true, write);
  });
net
  .command("top")
  .description("a live view of one port's rates, in the spirit of `iftop -i vif5.0`")
  .argument("<port>", "e.g. vif5.0")
  .option(...HOME_OPTION)
  .action(async (port: string, opts: { home?: string }) => {
    const { top } = await import("./net/commands.js");
    process.exitCode = await top(resolveHome(opts.home), port, write);
  });
net
  .command("capture")
  .description("write a bridge's or a port's frames to a pcap file (readable by tshark and wireshark)")
  .argument("<target>", "a bridge (br0) or a port (vif5.0)")
  .argument("<file>", "the pcap file to create")
  .option("--seconds <n>", "stop after this long (default: at Ctrl-C)", (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a positive number of seconds, not "${v}"`);
    return n;
  })
  .option(...HOME_OPTION)
  .action(async (target: string, file: string, opts: { home?: string; seconds?: number }) => {
    const { capture } = await import("./net/commands.js");
    process.exitCode = await capture(resolveHome(opts.home), target, file, opts.seconds, write);
  });

const image = program.command("image").description("disk images under DOMUS_HOME/images");
image
  .command("create")
  .description("make a sparse disk image DOMUS_HOME/images/<vm>/disk<N> and print its disk = entry")
  .argument("<vm>", "the domain the disk is for (the folder's name)")
  .requiredOption("--size <size>", "the disk's size: bytes, or a number with K, M, G or T (e.g. 8G)")
  .option("--format <raw|qcow2|vmdk>", "raw (file:), qcow2 (tap:qcow:) or VMDK monolithic sparse (tap:vmdk:)", "raw")
  .option("--disk <n>", "the disk's number: disk0 is xvda, disk1 xvdb …", (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > 25) throw new InvalidArgumentError(`must be a disk number 0..25, not "${v}"`);
    return n;
  }, 0)
  .option(...HOME_OPTION)
  .action(async (vm: string, opts: { size: string; format: string; disk: number; home?: string }) => {
    const { imageCreate } = await import("./image/commands.js");
    process.exitCode = await imageCreate(resolveHome(opts.home), vm, opts, say, complain);
  });

program
  .command("xm")
  .description("the xm command of the manual (see `domus xm help`)")
  .helpOption(false)
  .allowUnknownOption()
  .passThroughOptions()
  .argument("[args...]", "xm subcommand and its arguments")
  .action(async (args: string[]) => {
    const { xmMain } = await import("./xm/cli.js");
    process.exitCode = await xmMain(args);
  });

export interface RunOptions {
  builder: string;
  bios: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  memory: number;
  smp: number;
  drive: string[];
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // A service that is not running, a port that does not exist: one line, not a stack trace.
  complain(`domus: ${(e as Error).message}`);
  process.exitCode = 1;
}

// `domus run`: one machine in the foreground, console on stdin/stdout.
// On a terminal, stdin is put in raw mode; Ctrl-A X quits (as in QEMU), Ctrl-A Ctrl-A sends Ctrl-A.

import { Machine, MachineError } from "../kernel/host/machine.js";
import { ChainDevice } from "../kernel/host/virtio-backend.js";
import { VirtioBlk } from "../services/blk/virtio-blk.js";
import { openRawImage } from "../services/blk/formats/raw.js";
import { parseDriveSpec, DriveSpecError } from "./drive-spec.js";
import type { RunOptions } from "./domus.js";

const CTRL_A = 0x01;

export async function runCommand(opts: RunOptions): Promise<number> {
  let machine: Machine;
  try {
    const drives = opts.drive.map(parseDriveSpec);
    const log = (msg: string): void => void process.stderr.write(`domus: ${msg}\n`);
    const virtio = await Promise.all(drives.map(async (d, i) =>
      new ChainDevice(new VirtioBlk(await openRawImage(d.file, d.readOnly), `domus-disk${i}`, log), log)));
    if (opts.builder !== "hvm" && opts.builder !== "linux") {
      throw new Error(`--builder must be hvm or linux, not "${opts.builder}"`);
    }
    machine = new Machine({
      builder: opts.builder,
      bios: opts.bios === "none" ? null : opts.bios,
      kernel: opts.kernel,
      initrd: opts.initrd,
      append: opts.append,
      memMiB: opts.memory,
      harts: opts.smp,
      virtio,
    });
  } catch (e) {
    if (e instanceof MachineError || e instanceof DriveSpecError || e instanceof Error) {
      process.stderr.write(`domus run: ${e.message}\n`);
      return 1;
    }
    throw e;
  }

  machine.onConsole = (bytes) => process.stdout.write(bytes);
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  if (tty) stdin.setRawMode(true);
  let escape = false;
  const onData = (chunk: Buffer): void => {
    if (!tty) {
      machine.input(chunk);
      return;
    }
    const out: number[] = [];
    for (const b of chunk) {
      if (escape) {
        escape = false;
        if (b === 0x78 || b === 0x58) { // x
          process.stderr.write("\r\ndomus: terminated by Ctrl-A X\r\n");
          machine.stop();
          return;
        }
        out.push(b);
      } else if (b === CTRL_A) escape = true;
      else out.push(b);
    }
    machine.input(Uint8Array.from(out));
  };
  stdin.on("data", onData);
  stdin.on("error", () => {});
  const stopOnSignal = (): void => machine.stop();
  process.on("SIGTERM", stopOnSignal);
  process.on("SIGINT", stopOnSignal);
  try {
    const status = await machine.run();
    return status ?? 0;
  } finally {
    stdin.off("data", onData);
    if (tty) stdin.setRawMode(false);
    stdin.destroy();
  }
}

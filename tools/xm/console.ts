// `xm console DOMAIN` (and `xm create -c`): the guest's serial console on this terminal, straight
// from the kernel so that a restart of xend does not cut it. The terminal is put in raw mode; Ctrl-]
// detaches, as with Xen's xenconsole. Output the guest printed while no console was attached is
// shown first (what an earlier console showed is not shown again).

import { KernelClient } from "../kernel-client.js";

const CTRL_RIGHT_BRACKET = 0x1d;

export interface ConsoleStreams {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WriteStream;
}

/**
 * Attach to domain `domid`'s console until Ctrl-] or the domain goes away; returns the exit code.
 * `attached` runs once the console is following the domain.
 */
export async function attachConsole(home: string, domid: number, name: string, io: ConsoleStreams, attached?: () => Promise<void>): Promise<number> {
  const kernel = await KernelClient.connect(home);
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => { finish = resolve; });

  kernel.onEvent((e) => {
    if (e.domid === domid && e.event === "domain" && e.state === "dying") {
      io.output.write(`\r\n[domain ${name} is gone]\r\n`);
      finish(0);
    }
  });
  kernel.onClose(() => finish(1));
  // The reader went away (`xm console vm | head`): detach quietly, as a closed terminal would.
  io.output.on("error", () => finish(0));
  await kernel.subscribe(["console", "domain"], [domid]);
  // Events that arrive before the history are part of it; consoleAttach shows each byte once.
  await kernel.consoleAttach(domid, (data) => io.output.write(data));
  try {
    await attached?.();
  } catch (e) {
    kernel.close();
    throw e;
  }

  const tty = io.input.isTTY === true;
  if (tty) io.input.setRawMode(true);
  const onData = (chunk: Buffer): void => {
    const stop = chunk.indexOf(CTRL_RIGHT_BRACKET);
    const keys = stop < 0 ? chunk : chunk.subarray(0, stop);
    if (keys.length > 0) kernel.consoleWrite(domid, keys).catch(() => finish(1));
    if (stop >= 0) finish(0);
  };
  io.input.on("data", onData);
  io.input.resume();
  try {
    return await done;
  } finally {
    io.input.off("data", onData);
    io.input.pause();
    if (tty) io.input.setRawMode(false);
    kernel.close();
  }
}

// The console of a machine run in the test's own process (kernel/host/machine.ts), for tests
// that need the Machine itself (save and restore): its run loop goes on in the background
// while the test waits for text and types.

import type { Machine } from "../../kernel/host/machine.js";
import { ConsoleDriver } from "./console-driver.js";

export class MachineConsole extends ConsoleDriver {
  private readonly done: Promise<number | null>;
  private ended = false;

  constructor(readonly machine: Machine) {
    super();
    machine.onConsole = (bytes) => this.append(Buffer.from(bytes).toString("latin1"));
    machine.onLog = () => {};
    this.done = machine.run().finally(() => {
      this.ended = true;
      this.wakeWaiters();
    });
  }

  protected running(): boolean {
    return !this.ended;
  }

  type(text: string): void {
    // The UART takes up to its FIFO's size at once; tests type less.
    this.machine.input(new TextEncoder().encode(text));
  }

  /** Stop the run loop between slices, so the machine's state can be saved. */
  async stop(): Promise<void> {
    this.machine.stop();
    await this.done;
  }
}

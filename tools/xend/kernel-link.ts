// xend's connection to the kernel. The kernel may restart (the supervisor brings it back), so the
// link reconnects by itself, subscribes to domain events each time, and tells xend to rebuild its
// view; while it is down, requests fail with the client's "kernel is not running" message.

import { KernelClient } from "../kernel-client.js";
import type { EventFrame } from "../../kernel/public/protocol.js";
import { NotRunningError } from "../lib/frame-connection.js";

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

export interface KernelLinkEvents {
  /** Connected (again): the kernel's domains may differ from what xend knew. */
  connected(client: KernelClient): void;
  event(e: EventFrame): void;
}

export class KernelLink {
  private client: KernelClient | undefined;
  private stopped = false;
  private lastError: Error | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly home: string, private readonly handlers: KernelLinkEvents, private readonly log: (msg: string) => void) {}

  start(): void {
    void this.connectLoop();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.client?.close();
  }

  /** The connected client, or an error saying why there is none. */
  get(): KernelClient {
    if (this.client !== undefined && !this.client.closed) return this.client;
    throw this.lastError ?? new NotRunningError(`xend has no connection to the Domus kernel yet (${this.home}/run/kernel.sock); check \`domus status\``);
  }

  private async connectLoop(): Promise<void> {
    let delay = RETRY_MIN_MS;
    let reported = false;
    while (!this.stopped) {
      try {
        const client = await KernelClient.connect(this.home, { connectTimeoutMs: 2000 });
        client.onEvent((e) => this.handlers.event(e));
        await client.subscribe(["domain"]);
        this.client = client;
        this.lastError = undefined;
        this.log("connected to the kernel");
        client.onClose((why) => {
          if (this.client === client) this.client = undefined;
          if (this.stopped) return;
          this.lastError = new NotRunningError(`xend lost the Domus kernel (${why.message}); it reconnects when the kernel is back — check \`domus status\``);
          this.log(`kernel connection lost: ${why.message}`);
          void this.connectLoop();
        });
        this.handlers.connected(client);
        return;
      } catch (e) {
        this.lastError = e as Error;
        if (!reported) this.log(`waiting for the kernel: ${(e as Error).message}`);
        reported = true;
      }
      await new Promise<void>((r) => { this.retryTimer = setTimeout(r, delay); });
      delay = Math.min(RETRY_MAX_MS, delay * 2);
    }
  }
}

// A service's connection to the store that outlives the store: when the store restarts, the link
// connects again and registers its watches again (each fires once on registration, so the
// service re-reads what it watches and misses nothing).

import { XsClient } from "../store/client.js";

const RETRY_MS = 200;

export class StoreLink {
  private client: XsClient | undefined;
  private stopped = false;
  /** "path\0token" of every watch, registered again on each connection. */
  private readonly watches: Set<string>;

  constructor(
    private readonly socket: string,
    watches: readonly (readonly [path: string, token: string])[],
    private readonly onWatch: (path: string, token: string) => void,
    private readonly log: (msg: string) => void,
  ) {
    this.watches = new Set(watches.map(([path, token]) => `${path}\0${token}`));
  }

  /** Add a watch, kept across reconnections. */
  async watch(path: string, token: string): Promise<void> {
    this.watches.add(`${path}\0${token}`);
    await this.client?.watch(path, token);
  }

  async unwatch(path: string, token: string): Promise<void> {
    if (!this.watches.delete(`${path}\0${token}`)) return;
    await this.client?.unwatch(path, token).catch(() => {});
  }

  /** Resolves once connected and watching. */
  async start(): Promise<void> {
    for (;;) {
      try {
        await this.connect();
        return;
      } catch (e) {
        if (this.stopped) return;
        this.log(`store not reachable (${(e as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private async connect(): Promise<void> {
    const client = await XsClient.connect(this.socket);
    client.onWatch = (path, token) => this.onWatch(path, token);
    client.onClose(() => {
      if (this.client !== client || this.stopped) return;
      this.client = undefined;
      this.log("store connection lost; reconnecting");
      void this.start();
    });
    // Usable before the watches are in: each fires once when registered, and its handler reads.
    this.client = client;
    try {
      for (const key of this.watches) {
        const [path, token] = key.split("\0");
        await client.watch(path, token);
      }
    } catch (e) {
      this.client = undefined;
      client.close();
      throw e;
    }
  }

  /** The current connection; throws while the store is away (callers retry on the next watch). */
  get(): XsClient {
    if (this.client === undefined) throw new Error("the store is not connected");
    return this.client;
  }

  stop(): void {
    this.stopped = true;
    this.client?.close();
  }
}

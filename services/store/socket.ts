// The Unix socket transport (xenstored's socket, XENSTORED_PATH for Xen's tools). Everything
// connecting here is a tool in the host, so Domain-0: privileged.

import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Connection, Transport } from "./connection.js";
import type { Store } from "./core.js";

/** A connection on a Unix socket (also the kernel's ring relays: services/store/domain-socket.ts). */
export class SocketTransport implements Transport {
  queued = 0;
  conn: Connection | undefined;
  /** The store ended the connection (a client breaking the protocol), not the peer. */
  closedByStore = false;
  private corked = false;

  constructor(private readonly socket: Socket) {}

  write(frame: Buffer): void {
    // Everything written in one turn of the event loop leaves in one system call.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.queued++;
    this.socket.write(frame, () => {
      this.queued--;
      this.conn?.drained();
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.closedByStore = true;
    this.socket.destroy();
  }
}

/**
 * Put `server` on a Unix socket at `path`, mode 0600 in a directory only we can enter. A socket
 * file already there was left by a store that was killed (the store directory's lock keeps out
 * a live one).
 */
export async function listenUnix(server: Server, path: string): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return server;
}

/** Serves `store` on a Unix socket at `path`; everything connecting there is Domain-0. */
export function listenSocket(store: Store, path: string): Promise<Server> {
  const server = createServer({ pauseOnConnect: false }, (socket) => {
    const transport = new SocketTransport(socket);
    const conn = store.connect(0, transport, `socket client ${socket.remoteAddress ?? ""}`.trim());
    transport.conn = conn;
    socket.on("data", (chunk: Buffer) => conn.receive(chunk));
    socket.on("close", () => conn.closed());
    // A client vanishing mid-write is its business; "close" follows.
    socket.on("error", () => {});
  });
  return listenUnix(server, path);
}

// Writes to a socket that leave together: the socket is corked at the first write of a turn of
// the event loop and uncorked when the turn ends, so the replies and pushes one turn produces
// cost one system call and one wake-up of the reader, not one each.

import type { Socket } from "node:net";

const corked = new WeakSet<Socket>();

export function writeBatched(socket: Socket, ...parts: Uint8Array[]): void {
  if (!corked.has(socket)) {
    corked.add(socket);
    socket.cork();
    queueMicrotask(() => {
      corked.delete(socket);
      socket.uncork();
    });
  }
  for (const p of parts) socket.write(p);
}

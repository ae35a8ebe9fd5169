// The server side of a Domus socket protocol, for the toolstack's daemons (xend): accepts
// connections on a Unix socket, decodes frames, hands each request to a handler and sends exactly
// one reply. A bad frame ends only that connection; a handler's error becomes {ok: false} for that
// request. Framing is shared with every client (kernel/public/frames.ts).

import { createServer, connect, type Server, type Socket } from "node:net";
import { unlinkSync, existsSync } from "node:fs";
import { encodeFrame, FrameReader } from "../../kernel/public/frames.js";
import { isObj, type Obj } from "./check.js";

export interface Peer {
  /** Push an event (a message without an id) to this connection. */
  push(event: Obj): void;
  readonly closed: boolean;
  onClose(handler: () => void): void;
}

export type RequestHandler = (request: Obj, peer: Peer) => Promise<unknown>;

/** Is anything listening on this socket path? */
export function listening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

export async function serveFrames(path: string, handler: RequestHandler, log: (msg: string) => void): Promise<Server> {
  if (existsSync(path)) {
    // A socket file left by a process that died; refuse to steal one that is alive.
    if (await listening(path)) throw new Error(`another process is already serving ${path}`);
    unlinkSync(path);
  }
  const server = createServer((socket) => serveConnection(socket, handler, log));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => { server.off("error", reject); resolve(); });
  });
  return server;
}

function serveConnection(socket: Socket, handler: RequestHandler, log: (msg: string) => void): void {
  const reader = new FrameReader();
  const closeHandlers: (() => void)[] = [];
  let closed = false;
  const peer: Peer = {
    push: (event) => { if (!closed) socket.write(encodeFrame(event)); },
    get closed() { return closed; },
    onClose: (h) => { closeHandlers.push(h); },
  };
  const send = (reply: Obj): void => { if (!closed) socket.write(encodeFrame(reply)); };
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
    for (const h of closeHandlers.splice(0)) h();
  });
  socket.on("data", (chunk: Buffer) => {
    let messages: unknown[];
    try {
      messages = reader.push(chunk);
    } catch (e) {
      log(`dropped a client that sent a bad frame: ${(e as Error).message}`);
      socket.destroy();
      return;
    }
    for (const m of messages) {
      if (!isObj(m) || typeof m.id !== "number") {
        log("ignored a message without a numeric id");
        continue;
      }
      const id = m.id;
      handler(m, peer).then(
        (result) => send({ id, ok: true, result: result ?? null }),
        (e: unknown) => send({ id, ok: false, error: e instanceof Error ? e.message : String(e) }),
      );
    }
  });
}

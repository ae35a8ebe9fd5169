// One port for both kinds of client: a plain RFB client (vncviewer), and a browser (noVNC) that
// speaks RFB inside a WebSocket, as websockify would carry it. They are told apart by who speaks
// first. RFB has the server speak first, so a plain client sends nothing until it hears the
// version; a browser sends its HTTP upgrade request at once. So each connection waits SNIFF_MS
// for a "GET ": if it comes, the socket goes to the `ws` package; if nothing does, the server
// starts RFB. Plain clients therefore hear the server SNIFF_MS later than they otherwise would.

import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { Server, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createWebSocketStream, WebSocketServer } from "ws";
import { MAX_CUT_TEXT } from "./rfb-messages.js";
import type { RfbServer } from "./rfb-server.js";

/** Long enough for a browser's request to arrive over a slow link, short enough not to be noticed. */
export const SNIFF_MS = 150;
/** A browser has this long to finish its upgrade request: the HTTP parser here has no timer. */
export const UPGRADE_TIMEOUT_MS = 30_000;
const GET = "GET ";

export interface VncListenerOptions {
  readonly sniffMs?: number;
  readonly upgradeTimeoutMs?: number;
  readonly log?: (msg: string) => void;
}

/** Serves an RfbServer's clients, plain and WebSocket, from the connections of TCP servers. */
export class VncListener {
  private readonly http: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly sniffMs: number;
  private readonly upgradeTimeoutMs: number;
  private readonly log: (msg: string) => void;

  constructor(private readonly rfb: RfbServer, opts: VncListenerOptions = {}) {
    this.sniffMs = opts.sniffMs ?? SNIFF_MS;
    this.upgradeTimeoutMs = opts.upgradeTimeoutMs ?? UPGRADE_TIMEOUT_MS;
    this.log = opts.log ?? (() => {});
    this.wss = new WebSocketServer({
      noServer: true,
      // noVNC asks for "binary" (websockify's name); a client asking for none gets none.
      handleProtocols: (protocols) => (protocols.has("binary") ? "binary" : false),
      // The largest client message is a ClientCutText; RFB's own limit applies inside.
      maxPayload: MAX_CUT_TEXT + 64 * 1024,
      perMessageDeflate: false,
    });
    // Never listening: it only parses the requests of sockets handed to it.
    this.http = createHttpServer((_req, res) => {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end("This is a VNC server: connect with a VNC viewer, or with noVNC over a WebSocket.\n");
    });
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      req.socket.setTimeout(0);
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.rfb.serve(createWebSocketStream(ws), req.socket.remoteAddress ?? "unknown");
      });
    });
    this.http.on("clientError", (e: Error, socket: Duplex) => {
      this.log(`HTTP client error: ${e.message}`);
      socket.destroy();
    });
  }

  /** Serves every connection `server` accepts. */
  listenOn(server: Server): void {
    server.on("connection", (s: Socket) => this.accept(s));
  }

  /** Decides what `socket` speaks and serves it. */
  accept(socket: Socket): void {
    // An update leaves in several writes; Nagle would hold the last one for the client's delayed ACK.
    socket.setNoDelay(true);
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      if (seen.length >= GET.length || !GET.startsWith(seen.toString("latin1"))) decide();
    };
    const decide = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.pause();
      if (seen.length > 0) socket.unshift(seen);
      if (seen.subarray(0, GET.length).toString("latin1") === GET) {
        socket.setTimeout(this.upgradeTimeoutMs, () => {
          this.log(`${socket.remoteAddress}: no WebSocket upgrade within ${this.upgradeTimeoutMs} ms`);
          socket.destroy();
        });
        this.http.emit("connection", socket);
      } else {
        // Bytes that are not a request are the RFB connection's to judge (and refuse).
        this.rfb.serve(socket, socket.remoteAddress ?? "unknown");
      }
      socket.resume();
    };
    const timer = setTimeout(decide, this.sniffMs);
    socket.on("data", onData);
    // A client gone before the decision: nothing to serve.
    socket.once("close", () => clearTimeout(timer));
    // A reset before the decision; afterwards the RFB connection or the HTTP server reports errors.
    socket.on("error", () => {});
  }

  /** Disconnects WebSocket clients still in their upgrade; RFB clients go with rfb.close(). */
  close(): void {
    this.wss.close();
    this.http.close();
  }
}

// An RFB server for one screen: it serves any number of clients over any duplex byte stream (a
// TCP socket, or a WebSocket through websocket.ts), hands their keys and pointer to `input`, and
// keeps each client's view up to date.

import type { Duplex } from "node:stream";
import { AuthLimiter } from "./auth-limiter.js";
import { RfbConnection, type RfbInput } from "./rfb-connection.js";
import { SECURITY_VNC_AUTH } from "./rfb-handshake.js";
import type { Screen } from "./screen.js";

export type { RfbInput } from "./rfb-connection.js";

/**
 * QEMU's names: "allow-exclusive" honours a client's ClientInit shared flag of 0 by disconnecting
 * the others (RFC 6143 §7.3.1); "force-shared" lets every client share the screen.
 */
export type ShareMode = "allow-exclusive" | "force-shared";

export interface RfbServerOptions {
  readonly screen: Screen;
  /** The desktop name clients show, e.g. the domain's name. */
  readonly name: string;
  /** VNC Authentication's password (only its first 8 characters count); none offers no security. */
  readonly password?: string;
  readonly input?: RfbInput;
  /** Shared by the screens of a service, so wrong passwords count per address across all of them. */
  readonly limiter?: AuthLimiter;
  readonly shareMode?: ShareMode;
  readonly handshakeTimeoutMs?: number;
  readonly log?: (msg: string) => void;
}

/** A client has this long from connecting to finishing the handshake (typing a password included). */
export const HANDSHAKE_TIMEOUT_MS = 120_000;

export class RfbServer {
  readonly screen: Screen;
  private readonly conns = new Set<RfbConnection>();
  private nextId = 1;
  private readonly limiter: AuthLimiter;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: RfbServerOptions) {
    this.screen = opts.screen;
    this.limiter = opts.limiter ?? new AuthLimiter();
    this.log = opts.log ?? (() => {});
  }

  /** The clients connected now, through the handshake or still in it. */
  get connections(): ReadonlySet<RfbConnection> {
    return this.conns;
  }

  /** Serves one client on `stream`; `address` is its network address, for logs and the limiter. */
  serve(stream: Duplex, address: string): RfbConnection {
    const conn = new RfbConnection(this.nextId++, address, stream, {
      screen: this.screen,
      name: this.opts.name,
      password: this.opts.password,
      input: this.opts.input ?? {},
      limiter: this.limiter,
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      log: this.log,
      ready: (c, shared) => this.ready(c, shared),
      closed: (c) => this.conns.delete(c),
    });
    this.conns.add(conn);
    return conn;
  }

  /** Disconnects every client: the screen is going away. */
  close(): void {
    for (const c of this.conns) c.drop("the screen was closed");
  }

  private ready(conn: RfbConnection, shared: boolean): void {
    this.log(`client ${conn.id} (${conn.address}) connected: RFB ${conn.version}, ${conn.security === SECURITY_VNC_AUTH ? "VNC authentication" : "no authentication"}${shared ? "" : ", exclusive"}`);
    if (shared || (this.opts.shareMode ?? "allow-exclusive") === "force-shared") return;
    for (const c of this.conns) if (c !== conn) c.drop(`client ${conn.id} asked for exclusive access`);
  }
}

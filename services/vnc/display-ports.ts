// VNC display numbers and their TCP ports, by the manual's rules (§6.4, §6.4.1): display N
// listens on 5900+N; a screen without a fixed display gets the lowest one free (not used by
// another screen here, and its port can be bound, so ports other programs hold are skipped);
// a fixed display (`vncdisplay=N`, or `location localhost:590N`) is used as given or refused; a
// display is free again once its screen goes away. Each display is handed out with its port
// already bound, so no other program can take it in between.

import { createServer, type Server, type Socket } from "node:net";

export const VNC_BASE_PORT = 5900;
/** A display beyond this is refused: 5900-5999, the range firewalls open for VNC. */
export const MAX_DISPLAY = 99;
/** vnc-listen's default: only the host itself, until xend-config.sxp opens it up. */
export const DEFAULT_LISTEN = "127.0.0.1";

export interface DisplayPortsOptions {
  /** The address to listen on (xend-config.sxp's vnc-listen). */
  readonly listen?: string;
  /** Display 0's port; $DOMUS_VNC_BASE_PORT, else 5900. Two hosts on one machine, or tests, move it. */
  readonly basePort?: number;
  readonly maxDisplay?: number;
}

export interface VncDisplay {
  readonly display: number;
  readonly port: number;
  /** Listening already: connections arrive as its "connection" events. */
  readonly server: Server;
  /** Stops listening, disconnects any client still connected, and frees the display number. */
  release(): Promise<void>;
}

export class DisplayInUseError extends Error {
  override name = "DisplayInUseError";
}

function basePortFromEnv(): number {
  const text = process.env.DOMUS_VNC_BASE_PORT;
  if (text === undefined || text === "") return VNC_BASE_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`DOMUS_VNC_BASE_PORT=${text} is not a port number`);
  return port;
}

export class DisplayPorts {
  readonly listen: string;
  readonly basePort: number;
  readonly maxDisplay: number;
  /** Displays handed out, or being bound. */
  private readonly taken = new Set<number>();

  constructor(opts: DisplayPortsOptions = {}) {
    this.listen = opts.listen ?? DEFAULT_LISTEN;
    this.basePort = opts.basePort ?? basePortFromEnv();
    this.maxDisplay = Math.min(opts.maxDisplay ?? MAX_DISPLAY, 65535 - this.basePort);
  }

  /** The displays handed out now, lowest first. */
  inUse(): number[] {
    return [...this.taken].sort((a, b) => a - b);
  }

  /** A display for a new screen: `fixed` if given (or DisplayInUseError), else the lowest free. */
  async acquire(fixed?: number): Promise<VncDisplay> {
    if (fixed !== undefined) {
      if (!Number.isInteger(fixed) || fixed < 0 || fixed > this.maxDisplay) throw new RangeError(`VNC display ${fixed} (allowed 0 to ${this.maxDisplay})`);
      if (this.taken.has(fixed)) throw new DisplayInUseError(`VNC display ${fixed} is used by another screen`);
      this.taken.add(fixed);
      const server = await this.bind(fixed);
      if (server === undefined) {
        this.taken.delete(fixed);
        throw new DisplayInUseError(`VNC display ${fixed}: port ${this.basePort + fixed} on ${this.listen} is in use by another program`);
      }
      return this.handOut(fixed, server);
    }
    for (let n = 0; n <= this.maxDisplay; n++) {
      if (this.taken.has(n)) continue;
      // Held while binding, so a concurrent acquire looks further.
      this.taken.add(n);
      const server = await this.bind(n);
      if (server !== undefined) return this.handOut(n, server);
      this.taken.delete(n);
    }
    throw new DisplayInUseError(`no free VNC display from 0 to ${this.maxDisplay} (ports ${this.basePort}-${this.basePort + this.maxDisplay} on ${this.listen})`);
  }

  /** A listening server on the display's port, or undefined if another program has the port. */
  private bind(display: number): Promise<Server | undefined> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EADDRINUSE") resolve(undefined);
        else {
          this.taken.delete(display);
          reject(new Error(`VNC display ${display}: cannot listen on ${this.listen}:${this.basePort + display}: ${e.message}`));
        }
      });
      server.listen({ port: this.basePort + display, host: this.listen, exclusive: true }, () => resolve(server));
    });
  }

  private handOut(display: number, server: Server): VncDisplay {
    let released = false;
    const sockets = new Set<Socket>();
    server.on("connection", (s: Socket) => {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
    });
    return {
      display,
      port: this.basePort + display,
      server,
      release: () => {
        if (released) return Promise.resolve();
        released = true;
        return new Promise((resolve) => {
          server.close(() => {
            this.taken.delete(display);
            resolve();
          });
          for (const s of sockets) s.destroy();
        });
      },
    };
  }
}

// The RFB handshake up to ClientInit (RFC 6143 §7.1-7.3.1), for protocol versions 3.3, 3.7 and
// 3.8: the server offers 3.8 and speaks whichever version the client answers. One security type
// is offered: VNC Authentication when the screen has a password, else None.

import { ByteQueue } from "../common/byte-queue.js";
import { AuthLimiter, TOO_MANY_FAILURES } from "./auth-limiter.js";
import { ByteWriter } from "./byte-writer.js";
import { RfbProtocolError } from "./rfb-messages.js";
import { CHALLENGE_BYTES, checkVncAuth, newChallenge } from "./vnc-auth.js";

export type RfbVersion = "3.3" | "3.7" | "3.8";

export const SECURITY_NONE = 1;
export const SECURITY_VNC_AUTH = 2;
export const SERVER_VERSION = "RFB 003.008\n";
const VERSION_BYTES = 12;

export interface HandshakeOptions {
  /** VNC Authentication's password; undefined offers None. */
  readonly password: string | undefined;
  /** The client's address, as the limiter counts failures by it. */
  readonly address: string;
  readonly limiter: AuthLimiter;
  readonly challenge?: () => Uint8Array;
}

export type HandshakeStep =
  /** Bytes for the client. */
  | { readonly kind: "send"; readonly data: Uint8Array }
  /** The handshake failed: close once what was sent has gone. */
  | { readonly kind: "fail"; readonly reason: string }
  /** ClientInit arrived: the server sends ServerInit; `rest` is what the client sent after it. */
  | { readonly kind: "ready"; readonly version: RfbVersion; readonly security: number; readonly shared: boolean; readonly rest: Uint8Array };

type State = "version" | "securityType" | "challenge" | "clientInit" | "done";

/** The version the server speaks for what the client answered (§7.1.1: 3.4 to 3.6 are 3.3). */
export function negotiateVersion(answer: Uint8Array): RfbVersion {
  const text = Buffer.from(answer).toString("latin1");
  const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(text);
  if (m === null) throw new RfbProtocolError(`not an RFB version: ${JSON.stringify(text)}`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 3 || minor < 3) throw new RfbProtocolError(`unsupported RFB version ${major}.${minor}`);
  return minor >= 8 ? "3.8" : minor === 7 ? "3.7" : "3.3";
}

export class Handshake {
  private readonly queue = new ByteQueue();
  private state: State = "version";
  private version: RfbVersion = "3.3";
  private readonly security: number;
  private challenge: Uint8Array | undefined;

  constructor(private readonly opts: HandshakeOptions) {
    this.security = opts.password === undefined ? SECURITY_NONE : SECURITY_VNC_AUTH;
  }

  /** What the server says first. */
  greeting(): Uint8Array {
    return new Uint8Array(Buffer.from(SERVER_VERSION, "latin1"));
  }

  /** Takes more of the stream; returns what to do. Throws RfbProtocolError for garbage. */
  push(chunk: Uint8Array): HandshakeStep[] {
    this.queue.push(chunk);
    const steps: HandshakeStep[] = [];
    for (;;) {
      const more = this.step();
      if (more === undefined) return steps;
      steps.push(...more);
      if (steps.some((s) => s.kind !== "send")) return steps;
    }
  }

  private step(): HandshakeStep[] | undefined {
    const q = this.queue;
    const out = new ByteWriter(32);
    switch (this.state) {
      case "version": {
        if (q.length < VERSION_BYTES) return undefined;
        this.version = negotiateVersion(q.take(VERSION_BYTES));
        const refuse = this.security === SECURITY_VNC_AUTH && this.opts.limiter.isBlocked(this.opts.address);
        if (refuse) {
          // 3.3 has no list of types: a type of 0 is the failure, followed by the reason.
          if (this.version === "3.3") out.u32(0);
          else out.u8(0);
          this.putReason(out, TOO_MANY_FAILURES);
          return [{ kind: "send", data: out.take() }, { kind: "fail", reason: TOO_MANY_FAILURES }];
        }
        if (this.version === "3.3") {
          out.u32(this.security);
          return [{ kind: "send", data: out.take() }, ...this.afterSecurityType()];
        }
        out.u8(1).u8(this.security);
        this.state = "securityType";
        return [{ kind: "send", data: out.take() }];
      }
      case "securityType": {
        if (q.length < 1) return undefined;
        const chosen = q.take(1)[0];
        if (chosen !== this.security) throw new RfbProtocolError(`the client chose security type ${chosen}; ${this.security} was offered`);
        return this.afterSecurityType();
      }
      case "challenge": {
        if (q.length < CHALLENGE_BYTES || this.challenge === undefined || this.opts.password === undefined) return undefined;
        const response = q.take(CHALLENGE_BYTES);
        const { address, limiter } = this.opts;
        if (checkVncAuth(this.opts.password, this.challenge, response)) {
          limiter.succeeded(address);
          out.u32(0);
          this.state = "clientInit";
          return [{ kind: "send", data: out.take() }];
        }
        const reason = limiter.failed(address) ? TOO_MANY_FAILURES : "Authentication failed";
        out.u32(1);
        if (this.version === "3.8") this.putReason(out, reason);
        return [{ kind: "send", data: out.take() }, { kind: "fail", reason: `wrong password (${reason})` }];
      }
      case "clientInit": {
        if (q.length < 1) return undefined;
        const shared = q.take(1)[0] !== 0;
        this.state = "done";
        return [{ kind: "ready", version: this.version, security: this.security, shared, rest: q.take(q.length) }];
      }
      case "done":
        return undefined;
    }
  }

  /** Once the security type is settled: a challenge, or (None) straight to ClientInit. */
  private afterSecurityType(): HandshakeStep[] {
    if (this.security === SECURITY_VNC_AUTH) {
      this.challenge = (this.opts.challenge ?? newChallenge)();
      this.state = "challenge";
      return [{ kind: "send", data: this.challenge }];
    }
    this.state = "clientInit";
    // Only 3.8 sends a SecurityResult for None.
    return this.version === "3.8" ? [{ kind: "send", data: new ByteWriter(4).u32(0).take() }] : [];
  }

  private putReason(out: ByteWriter, reason: string): void {
    const text = Buffer.from(reason, "latin1");
    out.u32(text.length).bytes(text);
  }
}

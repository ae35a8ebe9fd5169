// The handshake as a state machine, without sockets: the version answered, the bytes of each
// security type, and garbage.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AuthLimiter } from "./auth-limiter.js";
import { Handshake, negotiateVersion, type HandshakeStep } from "./rfb-handshake.js";
import { RfbProtocolError } from "./rfb-messages.js";
import { vncAuthResponse } from "./vnc-auth.js";

const version = (v: string) => negotiateVersion(Buffer.from(v, "latin1"));
const challenge = new Uint8Array(16).fill(7);
const sent = (steps: HandshakeStep[]) => Buffer.concat(steps.flatMap((s) => (s.kind === "send" ? [s.data] : []))).toString("hex");

describe("version", () => {
  it("answers what the client asks, treating 3.4-3.6 as 3.3 and anything from 3.8 as 3.8", () => {
    expect(version("RFB 003.003\n")).toBe("3.3");
    expect(version("RFB 003.005\n")).toBe("3.3");
    expect(version("RFB 003.007\n")).toBe("3.7");
    expect(version("RFB 003.008\n")).toBe("3.8");
    expect(version("RFB 003.889\n")).toBe("3.8");
    expect(() => version("RFB 003.002\n")).toThrow(RfbProtocolError);
    expect(() => version("RFB 003.008 ")).toThrow(RfbProtocolError);
    expect(() => version("SSH-2.0-xxxx")).toThrow("not an RFB version");
  });
});

describe("handshake", () => {
  it("3.8 with VNC authentication: types, challenge, result, then ClientInit and what follows", () => {
    const h = new Handshake({ password: "pw", address: "a", limiter: new AuthLimiter(), challenge: () => challenge });
    expect(Buffer.from(h.greeting()).toString()).toBe("RFB 003.008\n");
    expect(sent(h.push(Buffer.from("RFB 003.008\n")))).toBe("0102");
    expect(sent(h.push(Buffer.from([2])))).toBe("07".repeat(16));
    expect(sent(h.push(vncAuthResponse("pw", challenge)))).toBe("00000000");
    expect(h.push(Buffer.from([1, 3, 0]))).toEqual([{ kind: "ready", version: "3.8", security: 2, shared: true, rest: new Uint8Array([3, 0]) }]);
  });

  it("3.3 without a password: the server picks None and sends no result", () => {
    const h = new Handshake({ password: undefined, address: "a", limiter: new AuthLimiter() });
    expect(sent(h.push(Buffer.from("RFB 003.003\n")))).toBe("00000001");
    expect(h.push(Buffer.from([0]))).toEqual([{ kind: "ready", version: "3.3", security: 1, shared: false, rest: new Uint8Array(0) }]);
  });

  it("3.7 wrong password: a result of 1 without a reason", () => {
    const h = new Handshake({ password: "pw", address: "a", limiter: new AuthLimiter(), challenge: () => challenge });
    h.push(Buffer.from("RFB 003.007\n"));
    h.push(Buffer.from([2]));
    const steps = h.push(new Uint8Array(16));
    expect(sent(steps)).toBe("00000001");
    expect(steps.at(-1)).toEqual({ kind: "fail", reason: "wrong password (Authentication failed)" });
  });

  it("ends garbage with RfbProtocolError, whatever the chunking", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, withPassword) => {
      const h = new Handshake({ password: withPassword ? "pw" : undefined, address: "a", limiter: new AuthLimiter() });
      try {
        for (let i = 0; i < bytes.length; i += 7) h.push(bytes.subarray(i, i + 7));
      } catch (e) {
        expect(e).toBeInstanceOf(RfbProtocolError);
      }
    }));
  });
});

import { describe, expect, it } from "vitest";
import { checkVncAuth, passwordKey, vncAuthResponse, vncDes } from "./vnc-auth.js";

describe("VNC authentication", () => {
  it("is DES with bit-reversed key bytes: vncpasswd's obfuscation of \"password\" comes out", () => {
    // vncpasswd encrypts the password with this fixed key the same way; its file for
    // "password" is well known.
    const fixedKey = new Uint8Array([23, 82, 107, 6, 35, 78, 88, 7]);
    expect(Buffer.from(vncDes(fixedKey, passwordKey("password"))).toString("hex")).toBe("dbd83cfd727a1458");
  });

  it("checks a response; only 8 characters count", () => {
    const challenge = Uint8Array.from({ length: 16 }, (_, i) => i * 13);
    const response = vncAuthResponse("s3cretXY", challenge);
    expect(checkVncAuth("s3cretXY-ignored", challenge, response)).toBe(true);
    expect(checkVncAuth("s3cretXZ", challenge, response)).toBe(false);
    expect(checkVncAuth("s3cretXY", challenge, response.subarray(0, 8))).toBe(false);
  });
});

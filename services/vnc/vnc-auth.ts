// VNC Authentication (RFC 6143 §7.2.2): the client DES-encrypts a 16-byte challenge with the
// password as the key. The quirk: the key's bytes are used with their bits reversed (the original
// VNC's DES took the key least significant bit first), and only the password's first 8 bytes count.
//
// OpenSSL 3 moved single DES ("des-ecb") to its legacy provider, which Node does not load. Two-key
// triple DES with both keys the same is single DES (encrypt, decrypt, encrypt with one key), and
// "des-ede-ecb" is in the default provider: that is what is used here.

import { createCipheriv, randomBytes, timingSafeEqual } from "node:crypto";

export const CHALLENGE_BYTES = 16;

function reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/** DES-ECB of `data` (a multiple of 8 bytes) under an 8-byte key given as RFB does, bit-reversed. */
export function vncDes(key: Uint8Array, data: Uint8Array): Uint8Array {
  const k = Buffer.from(Array.from(key.subarray(0, 8), reverseBits));
  const cipher = createCipheriv("des-ede-ecb", Buffer.concat([k, k]), null);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

/** The key a password gives: its first 8 bytes (Latin-1), zero-padded. */
export function passwordKey(password: string): Uint8Array {
  const key = new Uint8Array(8);
  key.set(Buffer.from(password, "latin1").subarray(0, 8));
  return key;
}

export function newChallenge(): Uint8Array {
  return new Uint8Array(randomBytes(CHALLENGE_BYTES));
}

/** The response a client knowing `password` gives to `challenge`. */
export function vncAuthResponse(password: string, challenge: Uint8Array): Uint8Array {
  return vncDes(passwordKey(password), challenge);
}

export function checkVncAuth(password: string, challenge: Uint8Array, response: Uint8Array): boolean {
  const expected = vncAuthResponse(password, challenge);
  return response.length === expected.length && timingSafeEqual(expected, response);
}

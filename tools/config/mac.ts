// Ethernet MAC addresses as the manual writes them (00:16:3e:4f:94:a9), and Xen's random ones.

import { randomBytes } from "node:crypto";
import { ValueError, show } from "./config-error.js";

/** The OUI assigned to XenSource, which the manual's random addresses start with (00:16:3E:xx:xx:xx). */
const XEN_OUI = [0x00, 0x16, 0x3e] as const;

const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;

/** Parses six colon-separated hex octets; a NIC needs a unicast address, so multicast is refused. */
export function parseMac(text: string): number[] {
  if (!MAC.test(text)) throw new ValueError(`MAC address ${show(text)} is not six hex octets like 00:16:3e:4f:94:a9`);
  const bytes = text.split(":").map((octet) => parseInt(octet, 16));
  if ((bytes[0] & 1) !== 0) throw new ValueError(`MAC address ${show(text)} is a multicast address; a NIC needs a unicast one`);
  return bytes;
}

/** Writes six octets the way xm prints them: lower-case hex, colon-separated. */
export function formatMac(bytes: readonly number[]): string {
  if (bytes.length !== 6 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new ValueError("a MAC address is six octets from 0 to 255");
  }
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Normalises a MAC address as given by a user to the form formatMac writes. */
export function normalizeMac(text: string): string {
  return formatMac(parseMac(text));
}

/**
 * A random address under Xen's OUI. As in Xen's randomMAC, the top bit of the fourth octet is
 * clear, leaving the upper half of the range for addresses assigned by hand.
 */
export function randomMac(random: (n: number) => Uint8Array = randomBytes): string {
  const r = random(3);
  return formatMac([...XEN_OUI, r[0] & 0x7f, r[1], r[2]]);
}

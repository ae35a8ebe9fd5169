// `pci=` entries: a host PCI device passed through to the guest, written as lspci shows it
// ('06:01.0', manual §2.5.2), optionally with the PCI domain in front ('0000:06:01.0').

import { ValueError, show } from "./config-error.js";

export interface PciAddress {
  readonly domain: number;
  readonly bus: number;
  readonly slot: number;
  readonly func: number;
}

const BDF = /^(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])$/;

export function parsePci(text: string): PciAddress {
  const m = BDF.exec(text);
  if (m === null) throw new ValueError(`pci ${show(text)} is not a PCI address like 06:01.0 or 0000:06:01.0 (hex)`);
  const pci = { domain: parseInt(m[1] ?? "0", 16), bus: parseInt(m[2], 16), slot: parseInt(m[3], 16), func: Number(m[4]) };
  if (pci.slot > 0x1f) throw new ValueError(`pci ${show(text)}: the slot goes up to 1f`);
  return pci;
}

/** Checks numbers given one by one (as SXP's (dev (domain ..) (bus ..) ..) does). */
export function pciFromNumbers(domain: number, bus: number, slot: number, func: number): PciAddress {
  if (domain > 0xffff || bus > 0xff || slot > 0x1f || func > 7) {
    throw new ValueError("a PCI address has domain up to 0xffff, bus up to 0xff, slot up to 0x1f, func up to 7");
  }
  return { domain, bus, slot, func };
}

export function formatPci(pci: PciAddress): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
  const bdf = `${hex(pci.bus, 2)}:${hex(pci.slot, 2)}.${pci.func}`;
  return pci.domain === 0 ? bdf : `${hex(pci.domain, 4)}:${bdf}`;
}

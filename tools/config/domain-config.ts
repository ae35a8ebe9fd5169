// Reads and writes the manual's initial startup files (§6.6, /etc/xen/vm/NAME) as DomainConfigs:
//
//   name = 'sles11'
//   memory = 512
//   disk = [ 'file:/var/lib/xen/images/sles11/disk0,xvda,w', ]
//   vif = [ 'mac=00:16:3e:55:24:21,bridge=br0', ]
//
// Every problem is a ConfigError "FILE:LINE: reason" naming what is allowed.

import { ConfigError, ValueError, show } from "./config-error.js";
import { parseDiskEntry, formatDiskEntry, type DiskSpec } from "./disk.js";
import {
  assembleDomain, domainScalars, isListKey, isScalarKey, LIST_KEYS, SCALAR_KEYS,
  type DomainConfig, type ListKey, type Located, type ScalarKey,
} from "./domain.js";
import { parsePci, formatPci, type PciAddress } from "./pci.js";
import { readStartupFile, type Scalar } from "./startup-file.js";
import { singleQuoted } from "./sxp.js";
import { parseVfbEntry, formatVfbEntry, type VfbSpec } from "./vfb.js";
import { parseVifEntry, formatVifEntry, type VifSpec } from "./vif.js";

export type { DomainConfig } from "./domain.js";

const KNOWN_KEYS = [...Object.keys(SCALAR_KEYS), ...LIST_KEYS].join(", ");

/** Parses a startup file; `file` names it in error messages. */
export function parseDomainConfig(text: string, file: string): DomainConfig {
  function fail(line: number, reason: string): never {
    throw new ConfigError(file, line, undefined, reason);
  }
  const scalars = new Map<ScalarKey, Located<string>>();
  const lists = { disk: [] as Located<DiskSpec>[], vif: [] as Located<VifSpec>[], vfb: [] as Located<VfbSpec>[], pci: [] as Located<PciAddress>[] };
  const firstLine = new Map<string, number>();

  for (const { key, line, value } of readStartupFile(text, file)) {
    const before = firstLine.get(key);
    if (before !== undefined) fail(line, `${key} is already set on line ${before}`);
    firstLine.set(key, line);
    if (isScalarKey(key)) {
      if (value.kind === "list") fail(line, `${key} takes one value, not a list`);
      scalars.set(key, { value: scalarText(key, value, fail), where: { line: value.line } });
    } else if (isListKey(key)) {
      if (value.kind !== "list") fail(line, `${key} takes a list: ${key} = [ '…', '…' ]`);
      for (const item of value.items) {
        if (item.kind !== "string") fail(item.line, `${key} entries are quoted strings, not numbers`);
        addEntry(lists, key, item.value, item.line, fail);
      }
    } else {
      fail(line, `unknown setting ${show(key)} (known: ${KNOWN_KEYS})`);
    }
  }
  // A missing name has no line of its own; it is reported at line 1.
  return assembleDomain({ scalars, ...lists }, { line: 1 }, (where, reason) => fail(where.line, reason));
}

// Numbers may be written bare or, as the manual asks, in quotes (localtime = '0'); text must be quoted.
function scalarText(key: ScalarKey, value: Scalar, fail: (line: number, reason: string) => never): string {
  if (value.kind === "string") return value.value;
  if (SCALAR_KEYS[key] === "string") fail(value.line, `${key} is text: put it in quotes (${key} = '${value.value}')`);
  return String(value.value);
}

function addEntry(
  lists: { disk: Located<DiskSpec>[]; vif: Located<VifSpec>[]; vfb: Located<VfbSpec>[]; pci: Located<PciAddress>[] },
  key: ListKey, entry: string, line: number, fail: (line: number, reason: string) => never,
): void {
  const where = { line };
  try {
    switch (key) {
      case "disk": lists.disk.push({ value: parseDiskEntry(entry), where }); break;
      case "vif": lists.vif.push({ value: parseVifEntry(entry), where }); break;
      case "vfb": lists.vfb.push({ value: parseVfbEntry(entry), where }); break;
      case "pci": lists.pci.push({ value: parsePci(entry), where }); break;
    }
  } catch (e) {
    if (e instanceof ValueError) fail(line, e.message);
    throw e;
  }
}

/** Writes a DomainConfig as a startup file; parseDomainConfig reads it back to an equal value. */
export function formatDomainConfig(config: DomainConfig): string {
  const lines = domainScalars(config).map(([key, value]) => `${key} = ${typeof value === "number" ? value : singleQuoted(value)}`);
  const entries: Record<ListKey, string[]> = {
    disk: config.disk.map(formatDiskEntry),
    vif: config.vif.map(formatVifEntry),
    vfb: config.vfb.map(formatVfbEntry),
    pci: config.pci.map(formatPci),
  };
  for (const key of LIST_KEYS) {
    if (entries[key].length === 0) continue;
    lines.push(`${key} = [`, ...entries[key].map((e) => `    ${singleQuoted(e)},`), "]");
  }
  return `${lines.join("\n")}\n`;
}

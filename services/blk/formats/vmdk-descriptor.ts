// A VMDK disk's text descriptor: what kind of disk it is and which files ("extents") hold its
// sectors, in order. It is a small file of its own (monolithicFlat, twoGbMaxExtent*) or sits inside
// a monolithicSparse file. Syntax from VMware's Virtual Disk Format 1.1, section 2:
//
//   # Disk DescriptorFile
//   version=1
//   CID=fffffffe
//   parentCID=ffffffff
//   createType="monolithicFlat"
//   RW 20480 FLAT "disk-flat.vmdk" 0
//   ddb.adapterType = "ide"

import { ImageError } from "../image.js";

export type ExtentAccess = "RW" | "RDONLY" | "NOACCESS";

export interface ExtentLine {
  access: ExtentAccess;
  /** Length in 512-byte sectors. */
  sectors: number;
  /** FLAT, SPARSE, VMFS, ZERO, ...; the opener decides which it serves. */
  type: string;
  /** As written, relative to the descriptor's folder; "" for ZERO extents, which have no file. */
  file: string;
  /** Where the extent starts in its file, in sectors; only FLAT extents give one. */
  offset: number;
  /** 1-based line number, for error messages. */
  line: number;
}

export interface VmdkDescriptor {
  createType: string;
  /** Lower-case hex; "ffffffff" when the disk has no parent. */
  parentCID: string;
  parentFileNameHint?: string;
  extents: ExtentLine[];
}

/** Sector counts beyond this would not give exact byte offsets in a JavaScript number. */
export const MAX_SECTORS = Math.floor(Number.MAX_SAFE_INTEGER / 512);

const EXTENT = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?$/;
const SETTING = /^([A-Za-z][\w.]*)\s*=\s*(?:"([^"]*)"|([^"\s]*))$/;

/** Parses descriptor text; `where` names it in errors (a path, or "disk.vmdk (embedded descriptor)"). */
export function parseVmdkDescriptor(text: string, where: string): VmdkDescriptor {
  const settings = new Map<string, string>();
  const extents: ExtentLine[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const bad = (why: string) => new ImageError(`${where}: descriptor line ${i + 1} ${why}: ${JSON.stringify(line.slice(0, 100))}`);
    const extent = EXTENT.exec(line);
    if (extent) {
      const [, access, sectors, type, file, offset] = extent;
      if (file === undefined && type !== "ZERO") throw bad(`names no file for its ${type} extent`);
      if (offset !== undefined && type !== "FLAT") throw bad(`gives a file offset, which only FLAT extents have`);
      const x: ExtentLine = {
        access: access as ExtentAccess,
        sectors: sectorCount(sectors, 1, () => bad("has an extent size that is 0 or too large")),
        type,
        file: file ?? "",
        offset: offset === undefined ? 0 : sectorCount(offset, 0, () => bad("has a file offset that is too large")),
        line: i + 1,
      };
      if (x.offset + x.sectors > MAX_SECTORS) throw bad(`has an extent that ends beyond sector ${MAX_SECTORS} of its file`);
      extents.push(x);
      continue;
    }
    const setting = SETTING.exec(line);
    if (!setting) throw bad("is neither a setting (key = value) nor an extent (RW 2048 FLAT \"file\" 0)");
    settings.set(setting[1], setting[2] ?? setting[3]);
  }

  const createType = settings.get("createType");
  if (!createType) throw new ImageError(`${where}: the descriptor has no createType`);
  if (extents.length === 0) throw new ImageError(`${where}: the descriptor lists no extents (lines such as RW 2048 FLAT "disk-flat.vmdk" 0)`);
  const parentCID = (settings.get("parentCID") ?? "ffffffff").toLowerCase();
  if (!/^[0-9a-f]{1,8}$/.test(parentCID)) throw new ImageError(`${where}: parentCID=${JSON.stringify(parentCID)} is not a hexadecimal number`);
  const parentFileNameHint = settings.get("parentFileNameHint");
  return { createType, parentCID, ...(parentFileNameHint !== undefined && { parentFileNameHint }), extents };
}

function sectorCount(digits: string, min: number, bad: () => ImageError): number {
  const n = Number(digits);
  if (n < min || n > MAX_SECTORS) throw bad();
  return n;
}

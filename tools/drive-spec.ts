// Parses QEMU-style `--drive file=PATH,format=raw,readonly=on` specifications.

export interface DriveSpec {
  readonly file: string;
  readonly format: "raw";
  readonly readOnly: boolean;
}

export class DriveSpecError extends Error {
  override name = "DriveSpecError";
}

const FORMATS = new Set(["raw"]);

export function parseDriveSpec(spec: string): DriveSpec {
  const fields = new Map<string, string>();
  // A doubled comma stands for a comma inside a value, as in QEMU.
  const parts = spec.replaceAll(",,", "\u0000").split(",").map((p) => p.replaceAll("\u0000", ","));
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new DriveSpecError(`--drive ${spec}: "${part}" is not key=value`);
    const key = part.slice(0, eq);
    if (fields.has(key)) throw new DriveSpecError(`--drive ${spec}: "${key}" is given twice`);
    fields.set(key, part.slice(eq + 1));
  }
  for (const key of fields.keys()) {
    if (!["file", "format", "readonly", "if"].includes(key)) {
      throw new DriveSpecError(`--drive ${spec}: unknown option "${key}" (known: file, format, readonly, if)`);
    }
  }
  const file = fields.get("file");
  if (file === undefined || file === "") throw new DriveSpecError(`--drive ${spec}: file=PATH is required`);
  const format = fields.get("format") ?? "raw";
  if (!FORMATS.has(format)) throw new DriveSpecError(`--drive ${spec}: format "${format}" is not supported (supported: raw)`);
  const iface = fields.get("if") ?? "virtio";
  if (iface !== "virtio") throw new DriveSpecError(`--drive ${spec}: if="${iface}" is not supported (only virtio)`);
  const ro = fields.get("readonly") ?? "off";
  if (!["on", "off"].includes(ro)) throw new DriveSpecError(`--drive ${spec}: readonly must be on or off, not "${ro}"`);
  return { file, format: "raw", readOnly: ro === "on" };
}

// `domus image create`: the command-line side of domain-image.ts (arguments checked, errors as
// one line naming what is wrong).

import { ImageError } from "../../services/blk/image.js";
import { ValueError } from "../config/config-error.js";
import { DiskSizeError, formatDiskSize, parseDiskSize } from "./disk-size.js";
import { createDomainImage, IMAGE_FORMATS, type ImageFormat } from "./domain-image.js";

export async function imageCreate(
  home: string,
  vm: string,
  opts: { readonly size: string; readonly format: string; readonly disk: number },
  say: (line: string) => void,
  complain: (line: string) => void,
): Promise<number> {
  try {
    if (!(IMAGE_FORMATS as readonly string[]).includes(opts.format)) {
      throw new ValueError(`--format "${opts.format}" is not one of ${IMAGE_FORMATS.join(", ")}`);
    }
    const size = parseDiskSize(opts.size);
    const made = await createDomainImage(home, vm, size, opts.format as ImageFormat, opts.disk);
    say(`Created ${made.path} (${opts.format}, ${formatDiskSize(size)}, sparse).`);
    say(`In the domain's config: disk = [ '${made.diskEntry}' ]`);
    return 0;
  } catch (e) {
    if (!(e instanceof DiskSizeError || e instanceof ValueError || e instanceof ImageError)) throw e;
    const exists = e instanceof ImageError && e.code === "EEXIST" ? " (it exists already: remove it, or give another --disk)" : "";
    complain(`domus image create: ${e.message}${exists}`);
    return 1;
  }
}

// From a disk's store entry (type and params, as the config's uname gave them) to an open image.

import { ImageError, type BlockImage } from "./image.js";
import { openRawImage } from "./formats/raw.js";
import { openNbdImage } from "./formats/nbd.js";
import { openQcow2Image } from "./formats/qcow2.js";
import { openVmdkImage } from "./formats/vmdk.js";

export async function openImage(type: string, params: string, readOnly: boolean): Promise<BlockImage> {
  switch (type) {
    case "file":
    case "tap:aio":
    case "phy":
      return openRawImage(params, readOnly);
    case "tap:qcow":
      return openQcow2Image(params, readOnly);
    case "tap:vmdk":
      return openVmdkImage(params, readOnly);
    case "nbd":
      return openNbdImage(params, readOnly);
    default:
      throw new ImageError(`disk type ${type}: is not served by this block service`);
  }
}

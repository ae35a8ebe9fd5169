// A config space the driver pages through (virtio-input): it writes `select` and `subsel`, then
// reads `size` and the page. A device's pages are fixed when it is attached, so the kernel
// answers from them at once instead of asking a backend in another process.

import type { VirtioConfigPage } from "../public/protocol.js";
import {
  VIRTIO_INPUT_CFG_PAGE, VIRTIO_INPUT_CFG_PAGE_BYTES, VIRTIO_INPUT_CFG_SELECT, VIRTIO_INPUT_CFG_SIZE,
  VIRTIO_INPUT_CFG_SUBSEL, VIRTIO_INPUT_CONFIG_BYTES,
} from "../public/virtio-input.js";

/** The config space the driver sees after writing `written`: the page it selected, or size 0. */
export function selectConfigPage(pages: readonly VirtioConfigPage[], written: Uint8Array): Uint8Array {
  const select = written[VIRTIO_INPUT_CFG_SELECT];
  const subsel = written[VIRTIO_INPUT_CFG_SUBSEL];
  const out = new Uint8Array(VIRTIO_INPUT_CONFIG_BYTES);
  out[VIRTIO_INPUT_CFG_SELECT] = select;
  out[VIRTIO_INPUT_CFG_SUBSEL] = subsel;
  const page = pages.find((p) => p.select === select && p.subsel === subsel);
  if (page !== undefined) {
    const data = page.data.subarray(0, VIRTIO_INPUT_CFG_PAGE_BYTES);
    out[VIRTIO_INPUT_CFG_SIZE] = data.length;
    out.set(data, VIRTIO_INPUT_CFG_PAGE);
  }
  return out;
}

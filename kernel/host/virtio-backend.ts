// A virtio device's semantics as a backend sees them: one request is the chain's readable bytes
// in one piece and how many bytes the driver left writable; the answer is what to write there.
// The same backend serves in-process (`domus run`) or in the block service's process, reached
// through the kernel's backend link (backend-link.ts); ChainDevice turns it into a device of the
// virtqueue engine by flattening and scattering the chain.

import type { DescriptorChain, VirtioDevice } from "./virtqueue.js";
import type { VirtioConfigPage } from "../public/protocol.js";
import { selectConfigPage } from "./paged-config.js";

export interface VirtioRequest {
  readonly queue: number;
  /** The chain's device-readable buffers, concatenated. */
  readonly readable: Uint8Array;
  /** Total length of the chain's device-writable buffers. */
  readonly writableBytes: number;
}

export interface VirtioAnswer {
  /** The used-ring length: bytes the device wrote. */
  readonly written: number;
  /** Bytes to scatter over the writable buffers from their start (at most writableBytes). */
  readonly data: Uint8Array;
}

export interface VirtioBackend {
  readonly deviceId: number;
  readonly features: bigint;
  config(): Uint8Array;
  /** A config space paged by select and subsel (virtio-input): its pages. */
  readonly configPages?: readonly VirtioConfigPage[];
  serve(request: VirtioRequest): Promise<VirtioAnswer>;
  close?(): void;
}

export function gatherReadable(chain: DescriptorChain): Uint8Array {
  if (chain.readable.length === 1) return chain.readable[0].slice();
  const out = new Uint8Array(chain.readable.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of chain.readable) { out.set(b, at); at += b.length; }
  return out;
}

export function scatterWritable(chain: DescriptorChain, data: Uint8Array): void {
  let at = 0;
  for (const b of chain.writable) {
    if (at >= data.length) return;
    const part = data.subarray(at, at + b.length);
    b.set(part);
    at += part.length;
  }
}

export class ChainDevice implements VirtioDevice {
  readonly deviceId: number;
  readonly features: bigint;

  constructor(private readonly backend: VirtioBackend, private readonly log: (msg: string) => void) {
    this.deviceId = backend.deviceId;
    this.features = backend.features;
  }

  config(): Uint8Array {
    return this.backend.config();
  }

  configWritten(written: Uint8Array): Uint8Array | undefined {
    const pages = this.backend.configPages;
    return pages === undefined ? undefined : selectConfigPage(pages, written);
  }

  handle(queue: number, chain: DescriptorChain, done: (written: number) => void): void {
    const writableBytes = chain.writable.reduce((n, b) => n + b.length, 0);
    this.backend.serve({ queue, readable: gatherReadable(chain), writableBytes }).then((answer) => {
      scatterWritable(chain, answer.data);
      done(Math.min(answer.written, writableBytes));
    }, (e: Error) => this.log(`virtio request dropped: ${e.message}`));
  }

  close(): void {
    this.backend.close?.();
  }
}

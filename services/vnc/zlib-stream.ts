// One zlib stream for the life of a connection, as ZRLE requires: the client keeps one inflater,
// so every rectangle's data continues the same stream, cut at a Z_SYNC_FLUSH boundary so the
// client can decode it without waiting for more.

import { constants, createDeflate, type Deflate } from "node:zlib";

export class ZlibStream {
  private readonly deflate: Deflate;
  private output: Buffer[] = [];
  /** Compressions run one after another: each must see the stream where the last left it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(level = 6) {
    this.deflate = createDeflate({ level });
    this.deflate.on("data", (chunk: Buffer) => this.output.push(chunk));
  }

  /** Compresses `data` and flushes: the result is everything the client needs to inflate it. */
  compress(data: Uint8Array): Promise<Buffer> {
    const done = this.queue.then(() => this.run(data));
    this.queue = done.catch(() => {});
    return done;
  }

  close(): void {
    this.deflate.destroy();
  }

  private async run(data: Uint8Array): Promise<Buffer> {
    this.deflate.write(data);
    await new Promise<void>((resolve) => this.deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    // The flush is done once zlib has produced everything; output still queued in the stream
    // (rather than emitted) would belong to this flush too.
    while (this.deflate.readableLength > 0) await new Promise((resolve) => this.deflate.once("data", resolve));
    const out = Buffer.concat(this.output);
    this.output = [];
    return out;
  }
}

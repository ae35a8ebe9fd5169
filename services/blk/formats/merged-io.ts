// Reads and writes of a file, merged as QEMU's virtio-blk merges a batch of requests: those that
// arrive in one turn of the event loop (the requests of one read from the kernel's socket), are
// of one kind, and each begin where the one before ended, become one preadv or pwritev. A guest
// reading or writing in order with several requests in flight then costs one trip to libuv's
// thread pool per batch instead of one per request. A merged transfer that fails is tried again
// request by request, so that an error is that request's alone.

import type { FileHandle } from "node:fs/promises";

/** The most requests (IOV_MAX) and bytes one merged transfer carries. */
const MAX_PARTS = 1024;
const MAX_BYTES = 1024 * 1024;

interface Op {
  readonly write: boolean;
  readonly buf: Uint8Array;
  readonly pos: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export class MergedFileIo {
  private queue: Op[] = [];

  // A FileHandle, not its fd: closing it waits for the transfers under way, and a transfer after
  // that fails rather than reaching whatever file the number was given to next.
  constructor(private readonly fh: FileHandle) {}

  /** Fills `buf` from `pos`; past the end of the file, zeros. */
  read(buf: Uint8Array, pos: number): Promise<void> {
    return this.enqueue(false, buf, pos);
  }

  write(buf: Uint8Array, pos: number): Promise<void> {
    return this.enqueue(true, buf, pos);
  }

  private enqueue(write: boolean, buf: Uint8Array, pos: number): Promise<void> {
    if (buf.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) queueMicrotask(() => this.flush());
      this.queue.push({ write, buf, pos, resolve, reject });
    });
  }

  private flush(): void {
    const ops = this.queue;
    this.queue = [];
    for (let i = 0; i < ops.length;) {
      const first = ops[i];
      let end = first.pos + first.buf.length;
      let j = i + 1;
      for (; j < ops.length && j - i < MAX_PARTS; j++) {
        const o = ops[j];
        if (o.write !== first.write || o.pos !== end || end + o.buf.length - first.pos > MAX_BYTES) break;
        end += o.buf.length;
      }
      this.submit(ops.slice(i, j));
      i = j;
    }
  }

  private submit(group: Op[]): void {
    this.transfer(group[0].write, group.map((o) => o.buf), group[0].pos).then(
      () => { for (const o of group) o.resolve(); },
      (e: Error) => {
        if (group.length === 1) group[0].reject(e);
        else for (const o of group) this.transfer(o.write, [o.buf], o.pos).then(o.resolve, o.reject);
      },
    );
  }

  /** One preadv or pwritev of `bufs` at `pos`, and more while it moved fewer bytes than asked. */
  private async transfer(write: boolean, bufs: Uint8Array[], pos: number): Promise<void> {
    while (bufs.length > 0) {
      const n = write ? (await this.fh.writev(bufs, pos)).bytesWritten : (await this.fh.readv(bufs, pos)).bytesRead;
      if (n === 0) {
        if (write) throw new Error(`writing at ${pos}: no bytes written`);
        for (const b of bufs) b.fill(0); // past the end of the file
        return;
      }
      pos += n;
      bufs = rest(bufs, n);
    }
  }
}

/** What is left of `bufs` after their first `n` bytes. */
function rest(bufs: Uint8Array[], n: number): Uint8Array[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i].length) n -= bufs[i++].length;
  if (i === bufs.length) return [];
  return [bufs[i].subarray(n), ...bufs.slice(i + 1)];
}

// What the block service needs from a disk image, whatever its format (raw, qcow2, vmdk, an NBD
// export). Every operation is asynchronous because some images live behind a socket.

export interface BlockImage {
  /** What the user named: a path, or HOST:PORT for NBD. Error messages quote it. */
  readonly path: string;
  /** "raw", "qcow2", "vmdk", "nbd": shown by block-list. */
  readonly format: string;
  /** The virtual disk's size (what the guest sees), not the file's. */
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  /** Fill `buf` with the disk's bytes from `offset`; never-written areas read as zeros. */
  read(buf: Uint8Array, offset: number): Promise<void>;
  /** Store `buf` at `offset`; the caller keeps offset + length within sizeBytes. */
  write(buf: Uint8Array, offset: number): Promise<void>;
  /** Make every completed write durable (on the host's disk, or acknowledged by the NBD server). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** An image that cannot be opened or is damaged: the message names the file and what is wrong. */
export class ImageError extends Error {
  override name = "ImageError";

  /** `code`: the system error behind it, if any (e.g. "EEXIST"), for callers that advise on it. */
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

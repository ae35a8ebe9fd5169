// What the block service needs from a disk image, whatever its format.

export interface BlockImage {
  readonly path: string;
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  /** Fill `buf` from byte `offset`; reads beyond the end of a short file give zeros. */
  read(buf: Uint8Array, offset: number): void;
  write(buf: Uint8Array, offset: number): void;
  /** Make every completed write durable. */
  flush(): void;
  close(): void;
}

// Packet capture to classic libpcap files (pcap-savefile(5)), which tcpdump, tshark and
// Wireshark read: a 24-byte file header, then a 16-byte header before each frame. Fields are in
// this host's byte order, which readers detect from the magic number; timestamps in microseconds.

import { createWriteStream, type WriteStream } from "node:fs";
import type { Bridge, Direction } from "./bridge.js";

const PCAP_MAGIC_US = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_SNAPLEN = 65535;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes a writer may have waiting for the disk; frames beyond are dropped and counted. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export function pcapFileHeader(): Uint8Array {
  const b = new Uint8Array(FILE_HEADER);
  const v = new DataView(b.buffer);
  v.setUint32(0, PCAP_MAGIC_US, LITTLE_ENDIAN);
  v.setUint16(4, 2, LITTLE_ENDIAN);
  v.setUint16(6, 4, LITTLE_ENDIAN);
  // thiszone and sigfigs stay 0: timestamps are UTC, as every writer today does.
  v.setUint32(16, PCAP_SNAPLEN, LITTLE_ENDIAN);
  v.setUint32(20, LINKTYPE_ETHERNET, LITTLE_ENDIAN);
  return b;
}

/** The header of one record: `timeMs` is milliseconds since the epoch, fractions kept to the µs. */
export function pcapRecordHeader(timeMs: number, captured: number, original: number): Uint8Array {
  const b = new Uint8Array(RECORD_HEADER);
  const v = new DataView(b.buffer);
  const us = Math.floor(timeMs * 1000);
  v.setUint32(0, Math.floor(us / 1_000_000), LITTLE_ENDIAN);
  v.setUint32(4, us % 1_000_000, LITTLE_ENDIAN);
  v.setUint32(8, captured, LITTLE_ENDIAN);
  v.setUint32(12, original, LITTLE_ENDIAN);
  return b;
}

export class PcapWriter {
  /** Frames not written because the disk was behind or the file failed. */
  dropped = 0;
  private failure: Error | undefined;

  private constructor(private readonly out: WriteStream, readonly path: string) {
    out.on("error", (e) => (this.failure = e));
  }

  /** Creates (or truncates) the file, readable by its owner only, and writes the file header. */
  static create(path: string): Promise<PcapWriter> {
    return new Promise((resolve, reject) => {
      const out = createWriteStream(path, { mode: 0o600 });
      out.once("error", (e) => reject(new Error(`cannot write the capture file ${path}: ${e.message}`)));
      out.once("ready", () => {
        out.removeAllListeners("error");
        const writer = new PcapWriter(out, path);
        out.write(pcapFileHeader());
        resolve(writer);
      });
    });
  }

  /** Appends one frame, cut to the snap length; false if it was dropped instead. */
  write(frame: Uint8Array, timeMs: number): boolean {
    if (this.failure !== undefined || this.out.writableLength + RECORD_HEADER + frame.length > MAX_PENDING_BYTES) {
      this.dropped++;
      return false;
    }
    const captured = Math.min(frame.length, PCAP_SNAPLEN);
    this.out.write(pcapRecordHeader(timeMs, captured, frame.length));
    this.out.write(frame.subarray(0, captured));
    return true;
  }

  /** Flushes and closes the file; rejects if anything could not be written. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.out.end(() => {
        if (this.failure === undefined) resolve();
        else reject(new Error(`capture file ${this.path}: ${this.failure.message}`));
      });
    });
  }
}

export interface CaptureOptions {
  /** Capture one port's traffic, both directions; otherwise every frame entering the bridge. */
  readonly port?: string;
  /** Only frames in this direction (host's view); both when absent. */
  readonly direction?: Direction;
  /** Wall-clock milliseconds since the epoch, with a fraction; injected by tests. */
  readonly clock?: () => number;
}

export interface Capture {
  readonly path: string;
  /** Frames written so far. */
  readonly packets: number;
  readonly dropped: number;
  /** Detaches from the bridge and closes the file. */
  stop(): Promise<void>;
}

/** Starts writing a bridge's (or one of its ports') frames to a new pcap file at `path`. */
export async function startCapture(bridge: Bridge, path: string, opts: CaptureOptions = {}): Promise<Capture> {
  const clock = opts.clock ?? (() => performance.timeOrigin + performance.now());
  const writer = await PcapWriter.create(path);
  let packets = 0;
  const untap = bridge.tap((frame, _port, direction) => {
    if (opts.direction !== undefined && direction !== opts.direction) return;
    if (writer.write(frame, clock())) packets++;
  }, opts.port);
  let stopped: Promise<void> | undefined;
  return {
    path,
    get packets() { return packets; },
    get dropped() { return writer.dropped; },
    stop: () => {
      untap();
      stopped ??= writer.close();
      return stopped;
    },
  };
}

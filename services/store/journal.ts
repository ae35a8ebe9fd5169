// The store's files: a snapshot of the whole database and an append-only journal of what
// changed since. A write is acknowledged only after its journal record is on disk (fdatasync);
// records arriving while one flush runs go to disk together in the next (group commit). When
// the journal outgrows the snapshot a new snapshot replaces both (compaction).
//
// Files in the store directory:
//   lock         the pid of the store using the directory (one writer only)
//   snapshot     MAGIC_SNAPSHOT, then one frame: u32 sequence of the first journal to replay, body
//   journal.<n>  MAGIC_JOURNAL, then frames, one per committed change
// A frame is u32 length, u32 CRC-32 of the payload, payload (little-endian). After a crash the
// last frame may be cut short or garbled: it was never acknowledged, and is cut off.

import {
  closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync,
  readFileSync, renameSync, rmSync, unlinkSync, write, writeFileSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";

const MAGIC_SNAPSHOT = Buffer.from("DXSSNAP1");
const MAGIC_JOURNAL = Buffer.from("DXSJRNL1");
const FRAME_HEADER = 8;
const JOURNAL_NAME = /^journal\.(\d{1,9})$/;

/** The files are damaged beyond a torn last record: the store must not start on them. */
export class CorruptStoreError extends Error {}

/** Another live process holds the store directory. */
export class StoreLockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `dir`/lock for this process; a lock left by a dead process (kill -9) is taken over. */
function lock(dir: string): string {
  const path = join(dir, "lock");
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = Number(readFileSync(path, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new StoreLockedError(`${dir} is in use by process ${pid}`);
    }
    rmSync(path, { force: true });
  }
}

export interface Recovered {
  journal: Journal;
  /** The last snapshot's body, if there is one. */
  snapshot: Buffer | undefined;
  /** Journal records written after it, in order. */
  records: Buffer[];
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, FRAME_HEADER);
  return out;
}

/** Frames in `buf` from `at`; `end` is where the intact ones stop. */
function readFrames(buf: Buffer, at: number): { payloads: Buffer[]; end: number; torn: boolean } {
  const payloads: Buffer[] = [];
  while (at < buf.length) {
    if (buf.length - at < FRAME_HEADER) return { payloads, end: at, torn: true };
    const len = buf.readUInt32LE(at);
    const body = at + FRAME_HEADER;
    if (len > buf.length - body) return { payloads, end: at, torn: true };
    const payload = buf.subarray(body, body + len);
    if (crc32(payload) !== buf.readUInt32LE(at + 4)) {
      // A garbled record with intact ones after it is not a torn write but damage.
      if (body + len < buf.length) throw new CorruptStoreError(`bad checksum at byte ${at}`);
      return { payloads, end: at, torn: true };
    }
    payloads.push(payload);
    at = body + len;
  }
  return { payloads, end: at, torn: false };
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class Journal {
  /** Called when every record of batch `n` (and before) is on disk. */
  onDurable: (batch: number) => void = () => {};
  /** Called if the disk fails us: nothing more can be acknowledged. */
  onFatal: (e: Error) => void = (e) => {
    throw e;
  };

  private pending: Buffer[] = [];
  private pendingBatch = 1;
  private inflight: number | undefined;
  private flushQueued = false;
  private idleWaiters: (() => void)[] = [];
  private failed = false;

  private constructor(
    private readonly dir: string,
    private readonly lockPath: string,
    private fd: number,
    private seq: number,
    /** Bytes in the current journal file. */
    private bytes: number,
    private snapshotBytes: number,
  ) {}

  /** Opens (creating if need be) the store in `dir` and reads back what it holds. */
  static open(dir: string, log: (msg: string) => void): Recovered {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lockPath = lock(dir);
    try {
      return Journal.recover(dir, lockPath, log);
    } catch (e) {
      rmSync(lockPath, { force: true });
      throw e;
    }
  }

  private static recover(dir: string, lockPath: string, log: (msg: string) => void): Recovered {
    const tmp = join(dir, "snapshot.tmp");
    if (existsSync(tmp)) unlinkSync(tmp);

    let snapshot: Buffer | undefined;
    let first = 1;
    const snapPath = join(dir, "snapshot");
    if (existsSync(snapPath)) {
      const buf = readFileSync(snapPath);
      const { payloads } = buf.subarray(0, MAGIC_SNAPSHOT.length).equals(MAGIC_SNAPSHOT)
        ? readFrames(buf, MAGIC_SNAPSHOT.length)
        : { payloads: [] };
      if (payloads.length !== 1 || payloads[0].length < 4) throw new CorruptStoreError(`${snapPath} is damaged`);
      first = payloads[0].readUInt32LE(0);
      snapshot = payloads[0].subarray(4);
    }

    const seqs = readdirSync(dir)
      .map((name) => JOURNAL_NAME.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    // Journals older than the snapshot were folded into it; a compaction died before removing them.
    for (const s of seqs.filter((s) => s < first)) unlinkSync(join(dir, `journal.${s}`));
    const live = seqs.filter((s) => s >= first);
    live.forEach((s, i) => {
      if (s !== first + i) throw new CorruptStoreError(`journal.${first + i} is missing`);
    });

    const records: Buffer[] = [];
    for (const s of live) {
      const path = join(dir, `journal.${s}`);
      const buf = readFileSync(path);
      const header = buf.subarray(0, MAGIC_JOURNAL.length);
      if (!MAGIC_JOURNAL.subarray(0, header.length).equals(header)) throw new CorruptStoreError(`${path} is not a journal`);
      const { payloads, end, torn } = header.length === MAGIC_JOURNAL.length
        ? readFrames(buf, MAGIC_JOURNAL.length)
        : { payloads: [], end: 0, torn: true };
      for (const p of payloads) records.push(p);
      if (torn) {
        log(`${path}: cutting off an unfinished record at byte ${end} (never acknowledged)`);
        const fd = openSync(path, "r+");
        ftruncateSync(fd, end);
        if (end === 0) writeSync(fd, MAGIC_JOURNAL);
        fsyncSync(fd);
        closeSync(fd);
      }
    }

    const seq = live.length ? live[live.length - 1] : first;
    const path = join(dir, `journal.${seq}`);
    const fd = openSync(path, "a", 0o600);
    if (!live.length) {
      writeSync(fd, MAGIC_JOURNAL);
      fsyncSync(fd);
      syncDir(dir);
    }
    const bytes = live.length ? readFileSync(path).length : MAGIC_JOURNAL.length;
    const journal = new Journal(dir, lockPath, fd, seq, bytes, snapshot?.length ?? 0);
    return { journal, snapshot, records };
  }

  /** Records not yet on disk exist: output that may depend on them must wait. */
  get busy(): boolean {
    return this.pending.length > 0 || this.inflight !== undefined;
  }

  /** The batch the latest record belongs to (meaningful while busy). */
  get newestBatch(): number {
    return this.pending.length > 0 ? this.pendingBatch : this.inflight ?? 0;
  }

  append(payload: Buffer): void {
    this.pending.push(frame(payload));
    if (this.inflight === undefined && !this.flushQueued) {
      // Let the rest of this turn of the event loop join the batch.
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.failed || this.inflight !== undefined || this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    const batch = this.pendingBatch++;
    this.pending = [];
    this.inflight = batch;
    const fail = (e: Error): void => {
      this.failed = true;
      this.onFatal(e);
    };
    const writeFrom = (at: number): void => {
      write(this.fd, data, at, data.length - at, null, (err, n) => {
        if (err) return fail(err);
        if (at + n < data.length) return writeFrom(at + n);
        fdatasync(this.fd, (err2) => {
          if (err2) return fail(err2);
          this.bytes += data.length;
          this.inflight = undefined;
          this.onDurable(batch);
          if (this.pending.length) this.flush();
          else for (const w of this.idleWaiters.splice(0)) w();
        });
      });
    };
    writeFrom(0);
  }

  /** True when idle and the journal has grown past both `threshold` and the snapshot. */
  wantsCompaction(threshold: number): boolean {
    return !this.busy && this.bytes >= threshold && this.bytes >= this.snapshotBytes;
  }

  /**
   * Replaces snapshot and journal by a snapshot with `body` (the current state) and an empty
   * journal. Only when idle, so the snapshot holds exactly what is acknowledged. Each step
   * leaves files that open() reads back to the same state, whenever the process dies.
   */
  compact(body: Buffer): void {
    if (this.busy) throw new Error("compaction while records are in flight");
    const next = this.seq + 1;
    const nextFd = openSync(join(this.dir, `journal.${next}`), "w", 0o600);
    writeSync(nextFd, MAGIC_JOURNAL);
    fsyncSync(nextFd);
    syncDir(this.dir);

    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(next, 0);
    const tmp = join(this.dir, "snapshot.tmp");
    const fd = openSync(tmp, "w", 0o600);
    writeSync(fd, Buffer.concat([MAGIC_SNAPSHOT, frame(Buffer.concat([head, body]))]));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, "snapshot"));
    syncDir(this.dir);

    closeSync(this.fd);
    unlinkSync(join(this.dir, `journal.${this.seq}`));
    this.fd = nextFd;
    this.seq = next;
    this.bytes = MAGIC_JOURNAL.length;
    this.snapshotBytes = body.length;
  }

  /** Resolves once every appended record is on disk. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    this.release();
  }

  /** Closes the files now and gives up the directory (nothing may be in flight). */
  release(): void {
    closeSync(this.fd);
    rmSync(this.lockPath, { force: true });
  }
}

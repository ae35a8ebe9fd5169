// xenstore benchmark: the store process (services/store) against a plain echo server on the
// same kind of Unix socket, with the same client (services/store/client.ts). The echo server
// answers every request with the request itself, so it shows what the socket, the client and
// Node cost; the difference is the store's own work (and its fsync per write batch).
//
// Rows: read, write, directory (20 children) and transaction (start, read, write, commit),
// from one client and from 16 at once, each client waiting for every reply before the next
// request. The peer column is the echo server. Latency percentiles go to stderr.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XsClient } from '../services/store/client.js';
import { compare, median, ROOT, type Command, type Row, type Sample } from './harness.js';
import { listening } from '../tools/lib/frame-server.js';

const STORE_MAIN = join(ROOT, 'dist', 'services', 'store', 'main.js');
/** Placeholders in a command's arguments, filled per run with a fresh directory. */
const HOME = '{home}';
const SOCKET = '{socket}';
const ECHO_SERVER = 'require("node:net").createServer((s) => s.pipe(s)).listen(process.argv[1]);';

type Workload = 'read' | 'write' | 'directory' | 'transaction';
/** Operations per run, by workload (writes wait for the disk, so fewer); multiples of 16. */
const OPS: Record<Workload, number> = { read: 10_240, directory: 10_240, write: 2_048, transaction: 1_024 };
const CLIENTS = [1, 16];
const CHILDREN = 20;

const socketIn = (home: string): string => join(home, 'run', 'xenstored', 'socket');


async function serve(command: Command, home: string): Promise<ChildProcess> {
  const socket = socketIn(home);
  mkdirSync(join(home, 'run', 'xenstored'), { recursive: true, mode: 0o700 });
  const args = command.args.map((a) => a.replace(HOME, home).replace(SOCKET, socket));
  const child = spawn(command.cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  for (let i = 0; i < 500; i++) {
    if (child.exitCode !== null) break;
    if (await listening(socket)) return child;
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  throw new Error(`${command.cmd} ${args.join(' ')} did not start serving ${socket}: ${stderr}`);
}

/** The nodes the workloads use; on the echo server these requests just come back. */
async function prepare(c: XsClient, clients: number): Promise<void> {
  await c.write('/bench/key', 'x'.repeat(32));
  for (let i = 0; i < CHILDREN; i++) await c.write(`/bench/dir/child-${i}`, String(i));
  for (let i = 0; i < clients; i++) await c.write(`/bench/tx/${i}`, '0');
}

async function once(c: XsClient, w: Workload, client: number, i: number): Promise<void> {
  switch (w) {
    case 'read':
      await c.read('/bench/key');
      return;
    case 'write':
      await c.write(`/bench/w/${client}`, String(i).padStart(32, '0'));
      return;
    case 'directory':
      await c.directory('/bench/dir');
      return;
    case 'transaction': {
      // Each client its own node, so transactions do not conflict.
      const tx = await c.transactionStart();
      const n = Number((await c.read(`/bench/tx/${client}`, tx)).toString()) || 0;
      await c.write(`/bench/tx/${client}`, String(n + 1), tx);
      await c.transactionEnd(tx);
    }
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function measure(w: Workload, clients: number) {
  return async (command: Command): Promise<Sample> => {
    const home = mkdtempSync(join(tmpdir(), 'domus-bench-store-'));
    const server = await serve(command, home);
    const conns: XsClient[] = [];
    try {
      for (let i = 0; i < clients; i++) conns.push(await XsClient.connect(socketIn(home)));
      await prepare(conns[0], clients);
      const per = OPS[w] / clients;
      const latencies: number[] = [];
      const start = performance.now();
      await Promise.all(
        conns.map(async (c, client) => {
          for (let i = 0; i < per; i++) {
            const t = performance.now();
            await once(c, w, client, i);
            latencies.push(performance.now() - t);
          }
        }),
      );
      const ms = performance.now() - start;
      latencies.sort((a, b) => a - b);
      const side = command.args.includes(STORE_MAIN) ? 'store' : 'echo';
      process.stderr.write(
        `    ${side}: ${((per * clients) / (ms / 1000)).toFixed(0)} ops/s, latency µs p50 ${(median(latencies) * 1000).toFixed(0)}` +
          ` p99 ${(percentile(latencies, 99) * 1000).toFixed(0)}\n`,
      );
      return { ms, result: `${per * clients} ops` };
    } finally {
      for (const c of conns) c.close();
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
      rmSync(home, { recursive: true, force: true });
    }
  };
}

export async function storeBench(): Promise<Row[]> {
  const echo: Command = { cmd: process.execPath, args: ['-e', ECHO_SERVER, SOCKET] };
  const store: Command = { cmd: process.execPath, args: [STORE_MAIN, '--home', HOME] };
  const rows: Row[] = [];
  for (const w of ['read', 'write', 'directory', 'transaction'] as const) {
    for (const clients of CLIENTS) {
      rows.push(
        await compare({
          benchmark: `store: ${w} ×${OPS[w]}, ${clients} client${clients > 1 ? 's' : ''} (peer: socket echo)`,
          qemu: echo,
          domus: store,
          measure: measure(w, clients),
        }),
      );
    }
  }
  return rows;
}

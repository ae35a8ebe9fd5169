// idle-domains: how many idle minios domains one host holds while its processes (supervisor,
// kernel and services) stay under 5 % of one CPU together.
//
// One host (`domus up` on a temporary DOMUS_HOME) gets N minios domains (`mode=idle tick=1000`,
// 16 MiB) through the kernel protocol, for N = 10, 50, 100, 200, then doubling, and the goal's
// 1000; domains stay
// from one N to the next, so their tick phases spread out as they would on a real host. Once all
// N have printed "minios: ready" the console subscription is closed (a console reader costs the
// kernel work per tick), and after a short settle each run measures the CPU time of all the
// host's processes (utime + stime from /proc/PID/stat, clock ticks of 10 ms, so 0.1 % steps)
// over 10 s of wall time, as % of one CPU. Growth stops at the first N whose median reaches 5 %, or when the
// next N would take the kernel's resident memory past 12 GiB (or near the machine's available
// memory), estimated from its RSS per domain so far: Wasm memories are committed as the guest
// touches them, so an idle minios costs far less than its 16 MiB; or when the host has no memory
// left for N domains of 16 MiB (the hypervisor does not overcommit); or past MAX_N.
//
// The peer, at N = 10 only: ten `qemu-system-riscv64 -M virt -m 16 -nographic -bios none
// -kernel guests/isa/bin/probe_idle_forever.elf` (WFI with a 1 s machine timer, forever), their
// CPU time summed. Hundreds of QEMU processes would not be a sensible comparison.

import { execFileSync } from 'node:child_process';
import { freemem } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainSpec } from '../kernel/public/protocol.js';
import { KernelClient } from '../tools/kernel-client.js';
import { compareRows, DomusHost, qemu, ROOT, startProcess, within, type Command, type Row, type Running, type Sample } from './harness.js';

const MINIOS = join(ROOT, 'guests', 'minios', 'minios.elf');
const PEER_IMAGE = join(ROOT, 'guests', 'isa', 'bin', 'probe_idle_forever.elf');
const LIMIT_PERCENT = 5;
const WINDOW_MS = 10_000;
const SETTLE_MS = 3_000;
const MEMORY_LIMIT_MIB = 12 * 1024;
/** A bound on the run time should the CPU limit move far out; the issue's goal is 1000. */
const MAX_N = 6400;
const GOAL_N = 1000;
const PEER_N = 10;

function counts(): number[] {
  const ns = [10, 50, 100];
  while (ns[ns.length - 1] * 2 <= MAX_N) ns.push(ns[ns.length - 1] * 2);
  return [...ns, GOAL_N].sort((a, b) => a - b);
}

const TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (all its threads), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is stat field 3
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

function rssMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}

/** CPU use of `pids` together over WINDOW_MS of wall time, in % of one CPU. */
async function cpuPercent(pids: number[]): Promise<number> {
  const total = (): number => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const c0 = total();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  return ((total() - c0) / ((performance.now() - t0) / 1000)) * 100;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const DOMAIN_MIB = 16;

async function hostFreeMiB(host: DomusHost): Promise<number> {
  const kernel = await KernelClient.connect(host.home);
  try {
    return (await kernel.info()).freeMemoryMiB;
  } finally {
    kernel.close();
  }
}

function spec(i: number): DomainSpec {
  return {
    name: `idle-${i}`, builder: 'linux', memoryMiB: DOMAIN_MIB, maxmemMiB: DOMAIN_MIB, vcpus: 1, cpus: [], bios: null,
    kernel: MINIOS, extra: 'mode=idle tick=1000',
  };
}

/** Creates domains on `host` until it has `n`, and waits until each has printed "minios: ready". */
async function grow(host: DomusHost, from: number, n: number): Promise<void> {
  const kernel = await KernelClient.connect(host.home);
  try {
    const text = new Map<number, string>();
    let ready = 0;
    let allReady: () => void = () => {};
    const done = new Promise<void>((r) => (allReady = r));
    kernel.onEvent((e) => {
      if (e.event !== 'console') return;
      const before = text.get(e.domid) ?? '';
      if (before.includes('minios: ready')) return;
      const now = before + Buffer.from(e.data).toString('latin1');
      text.set(e.domid, now);
      if (now.includes('minios: ready') && ++ready === n - from) allReady();
    });
    await kernel.subscribe(['console']);
    for (let i = from; i < n; i++) await kernel.createDomain(spec(i));
    await within(done, 60_000, `"minios: ready" from all ${n - from} new domains`);
  } finally {
    kernel.close();
  }
}

async function startPeers(n: number): Promise<Running[]> {
  const peers: Running[] = [];
  try {
    for (let i = 0; i < n; i++) peers.push(await startProcess(peerCommand, (out) => out.includes('idle: sleeping in wfi')));
  } catch (e) {
    await Promise.all(peers.map((p) => p.stop()));
    throw e;
  }
  return peers;
}

const peerCommand = qemu(['-M', 'virt', '-m', '16', '-nographic', '-bios', 'none', '-kernel', PEER_IMAGE]);
/** Stands for the Domus side in the table; measure() reads the host's processes. */
const domusSide: Command = { cmd: 'domus-host', args: [] };

export async function idleDomains(): Promise<Row[]> {
  const rows: Row[] = [];
  const host = await DomusHost.up();
  let peers: Running[] | undefined;
  try {
    const kernelPid = host.pid('kernel');
    const baseRss = rssMiB(kernelPid);
    let have = 0;
    let largest: number | undefined;
    let stopped = `the next N would pass MAX_N = ${MAX_N}`;
    for (const n of counts()) {
      const rss = rssMiB(kernelPid);
      const perDomain = have > 0 ? (rss - baseRss) / have : 0;
      const estimate = rss + perDomain * (n - have);
      if (estimate > Math.min(MEMORY_LIMIT_MIB, rss + freemem() / 2 ** 20 - 1024)) {
        stopped = `N = ${n} not run: the kernel would need ~${(estimate / 1024).toFixed(1)} GiB (${perDomain.toFixed(2)} MiB RSS per domain)`;
        break;
      }
      // The hypervisor gives each domain its 16 MiB from the host's memory, touched or not.
      const free = await hostFreeMiB(host);
      if (free < (n - have) * DOMAIN_MIB) {
        stopped = `N = ${n} not run: the host has ${free} MiB free for guests, ${n - have} more domains of ${DOMAIN_MIB} MiB need ${(n - have) * DOMAIN_MIB}`;
        break;
      }
      const t = performance.now();
      try {
        await grow(host, have, n);
      } catch (e) {
        const message = `creating ${n} domains: ${(e as Error).message}`;
        rows.push({ benchmark: `idle-domains: ${n} idle minios domains`, qemu: { kind: 'skipped', reason: 'not run' }, domus: { kind: 'error', message } });
        stopped = `N = ${n} failed`;
        break;
      }
      have = n;
      process.stderr.write(`  idle-domains: ${n} domains ready in ${((performance.now() - t) / 1000).toFixed(1)} s, kernel RSS ${rssMiB(kernelPid).toFixed(0)} MiB\n`);
      await sleep(SETTLE_MS);

      const withPeer = n === PEER_N;
      if (withPeer) {
        peers = await startPeers(n);
        await sleep(SETTLE_MS);
      }
      const peerPids = peers?.map((p) => p.pid) ?? [];
      const measure = async (command: Command): Promise<Sample> => ({ ms: await cpuPercent(command === peerCommand ? peerPids : host.pids()) });
      const [row] = await compareRows({
        benchmark: `idle-domains: ${n} idle minios domains (tick 1 s), host CPU (supervisor, kernel, services)${withPeer ? ` (peer: ${n} idle QEMU processes)` : ''}`,
        qemu: withPeer ? peerCommand : `not run: ${n} QEMU processes`,
        domus: domusSide,
        measure,
        unit: '% CPU',
      });
      if (peers) {
        await Promise.all(peers.map((p) => p.stop()));
        peers = undefined;
      }
      const mib = rssMiB(kernelPid);
      row.note = `kernel RSS ${mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${mib.toFixed(0)} MiB`}`;
      rows.push(row);
      if (row.domus.kind !== 'ok') {
        stopped = `N = ${n} failed`;
        break;
      }
      if (row.domus.stats.median >= LIMIT_PERCENT) {
        stopped = `N = ${n} reached ${row.domus.stats.median.toFixed(1)} % CPU`;
        break;
      }
      largest = n;
    }
    const last = rows[rows.length - 1];
    if (last) last.note = `${last.note ?? ''}; largest N under ${LIMIT_PERCENT} %: ${largest ?? 'none'} (${stopped})`;
    process.stderr.write(`  idle-domains: largest N under ${LIMIT_PERCENT} %: ${largest ?? 'none'}; ${stopped}\n`);
    return rows;
  } finally {
    if (peers) await Promise.all(peers.map((p) => p.stop()));
    await host.down();
  }
}

// lanes: one paravirtual domain whose two vCPUs compute (guests/isa/probe_pv_smp.S: both count
// 2 x 3M rounds with AMOs and LR/SC), from creation to its poweroff: on a host with two free
// pCPUs, where it runs as two lanes at once (kernel/cpu/lanes.ts), and pinned to one pCPU,
// where its vCPUs take turns. The peer is QEMU running the bare-metal twin
// (guests/isa/probe_smp_count.S) with -smp 2: multi-threaded TCG (one host thread per vCPU), and
// single-threaded TCG (the vCPUs take turns on one thread).
import { join } from 'node:path';
import type { KernelClient } from '../tools/kernel-client.js';
import { compareRows, onFreshHost, qemu, ROOT, timeProcess, within, type Command, type Row, type Sample } from './harness.js';

const PV_PROBE = join(ROOT, 'guests', 'isa', 'bin', 'probe_pv_smp.elf');
const PEER_PROBE = join(ROOT, 'guests', 'isa', 'bin', 'probe_smp_count.elf');
const DONE = 'smp ok';

/** Creates the domain (on the pCPUs `cpus`, [] = any); resolves with the ms until it powered off having counted right. */
async function runDomain(kernel: KernelClient, name: string, cpus: number[]): Promise<number> {
  let output = '';
  let domid = -1;
  let stopped: (reason: string) => void = () => {};
  const end = new Promise<string>((resolve) => (stopped = resolve));
  const stopListening = kernel.onEvent((e) => {
    if (e.domid !== domid) return;
    if (e.event === 'console') output += Buffer.from(e.data).toString('latin1');
    else if (e.state === 'shutdown' || e.state === 'crashed') stopped(e.reason ?? e.state);
  });
  const t0 = performance.now();
  try {
    domid = await kernel.createDomain({ name, builder: 'linux', memoryMiB: 16, maxmemMiB: 16, vcpus: 2, cpus, bios: null, kernel: PV_PROBE });
    const reason = await within(end, 120_000, `domain ${name} to power off`);
    if (reason !== 'poweroff' || !output.includes(DONE)) throw new Error(`domain ${name} stopped (${reason}) without "${DONE}"; output: ${output}`);
  } finally {
    stopListening();
  }
  return performance.now() - t0;
}

const domusRun = (): Promise<Sample> => onFreshHost(async (kernel) => {
  const lanes = await runDomain(kernel, 'lanes', []);
  const one = await runDomain(kernel, 'one-pcpu', [0]);
  return { ms: lanes, also: { one } };
});

const peer = (threads: 'multi' | 'single'): Command =>
  qemu(['-M', 'virt', '-smp', '2', '-accel', `tcg,thread=${threads}`, '-nographic', '-bios', 'none', '-kernel', PEER_PROBE]);
const multi = peer('multi');

async function peerRun(): Promise<Sample> {
  const check = (output: string): void => {
    if (!output.includes(DONE)) throw new Error(`no "${DONE}" line; output ends: ${output.slice(-300)}`);
  };
  const both = await timeProcess(multi);
  check(both.output);
  const one = await timeProcess(peer('single'));
  check(one.output);
  return { ms: both.ms, also: { one: one.ms } };
}

export async function lanesBench(): Promise<Row[]> {
  return compareRows({
    benchmark: 'lanes: one PV domain, two vCPUs counting → powered off, on two pCPUs (QEMU: -smp 2, multi-threaded TCG)',
    qemu: multi,
    domus: { cmd: 'domus-host', args: [] },
    measure: (command) => (command === multi ? peerRun() : domusRun()),
    also: { one: 'lanes: the same pinned to one pCPU (QEMU: single-threaded TCG)' },
  });
}

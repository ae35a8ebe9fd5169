// lanes: one paravirtual domain whose two vCPUs compute (guests/isa/probe_pv_smp.S: both count
// 2 x 3M rounds with AMOs and LR/SC), from creation to its poweroff: on a host with two free
// pCPUs, where it runs as two lanes at once (kernel/cpu/lanes.ts), and pinned to one pCPU,
// where its vCPUs take turns. The peer is QEMU running the bare-metal twin
// (guests/isa/probe_smp_count.S) with -smp 2: multi-threaded TCG (one host thread per vCPU), and
// single-threaded TCG (the vCPUs take turns on one thread).
import { join } from 'node:path';
import type { DomainSpec } from '../kernel/public/protocol.js';
import { compareRows, domainsToPoweroff, onFreshHost, qemu, ROOT, timeProcess, type Command, type Row, type Sample } from './harness.js';

const PV_PROBE = join(ROOT, 'guests', 'isa', 'bin', 'probe_pv_smp.elf');
const PEER_PROBE = join(ROOT, 'guests', 'isa', 'bin', 'probe_smp_count.elf');
const DONE = /smp ok/;

/** The probe's domain, on the pCPUs `cpus` ([] = any). */
function spec(name: string, cpus: number[]): DomainSpec {
  return { name, builder: 'linux', memoryMiB: 16, maxmemMiB: 16, vcpus: 2, cpus, bios: null, kernel: PV_PROBE };
}

const domusRun = (): Promise<Sample> => onFreshHost(async (kernel) => {
  const lanes = await domainsToPoweroff(kernel, [spec('lanes', [])], DONE);
  const one = await domainsToPoweroff(kernel, [spec('one-pcpu', [0])], DONE);
  return { ms: lanes, also: { one } };
});

const peer = (threads: 'multi' | 'single'): Command =>
  qemu(['-M', 'virt', '-smp', '2', '-accel', `tcg,thread=${threads}`, '-nographic', '-bios', 'none', '-kernel', PEER_PROBE]);
const multi = peer('multi');

async function peerRun(): Promise<Sample> {
  const check = (output: string): void => {
    if (!DONE.test(output)) throw new Error(`no ${DONE} line; output ends: ${output.slice(-300)}`);
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

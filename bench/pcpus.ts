// pcpus: guests/cpubench (a fixed CPU workload) in one domain, then in two domains at once on the
// same host, each to its poweroff. The kernel runs domains on pCPU worker threads, so on a host
// with two CPUs the two should take about as long as the one. The peer is QEMU: one process, then
// two at once. (xend destroys each domain as it powers off, its on_poweroff.)
import { join } from 'node:path';
import type { DomainSpec } from '../kernel/public/protocol.js';
import { compareRows, domainsToPoweroff, onFreshHost, qemu, ROOT, timeProcess, type Command, type Row, type Sample } from './harness.js';

const IMAGE = join(ROOT, 'guests', 'cpubench', 'cpubench.bin');
const DONE = /cpubench done ([0-9a-f]{8})/;

function spec(name: string): DomainSpec {
  return { name, builder: 'hvm', memoryMiB: 64, maxmemMiB: 64, vcpus: 1, cpus: [], bios: IMAGE };
}

const domusRun = (): Promise<Sample> => onFreshHost(async (kernel) => {
  const one = await domainsToPoweroff(kernel, [spec('one-0')], DONE);
  const two = await domainsToPoweroff(kernel, [spec('two-0'), spec('two-1')], DONE);
  return { ms: two, also: { one } };
});

const peer = qemu(['-M', 'virt', '-nographic', '-bios', IMAGE]);

async function peerRun(command: Command): Promise<Sample> {
  const check = (output: string): void => {
    if (!DONE.test(output)) throw new Error(`no "cpubench done" line; output ends: ${output.slice(-300)}`);
  };
  const single = await timeProcess(command);
  check(single.output);
  const t0 = performance.now();
  const both = await Promise.all([timeProcess(command), timeProcess(command)]);
  const ms = performance.now() - t0;
  both.forEach((r) => check(r.output));
  return { ms, also: { one: single.ms } };
}

export async function pcpusBench(): Promise<Row[]> {
  return compareRows({
    benchmark: 'pcpus: two cpubench domains at once on one host → both powered off (QEMU: two processes)',
    qemu: peer,
    domus: { cmd: 'domus-host', args: [] },
    measure: (command) => (command === peer ? peerRun(command) : domusRun()),
    also: { one: 'pcpus: one cpubench domain → powered off (QEMU: one process)' },
  });
}

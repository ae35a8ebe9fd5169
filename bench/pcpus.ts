// pcpus: guests/cpubench (a fixed CPU workload) in one domain, then in two domains at once on the
// same host, each to its poweroff. The kernel runs domains on pCPU worker threads, so on a host
// with two CPUs the two should take about as long as the one. The peer is QEMU: one process, then
// two at once. (xend destroys each domain as it powers off, its on_poweroff.)
import { join } from 'node:path';
import type { KernelClient } from '../tools/kernel-client.js';
import type { DomainSpec } from '../kernel/public/protocol.js';
import { compareRows, onFreshHost, qemu, ROOT, timeProcess, within, type Command, type Row, type Sample } from './harness.js';

const IMAGE = join(ROOT, 'guests', 'cpubench', 'cpubench.bin');
const DONE = /cpubench done ([0-9a-f]{8})/;

function spec(name: string): DomainSpec {
  return { name, builder: 'hvm', memoryMiB: 64, maxmemMiB: 64, vcpus: 1, cpus: [], bios: IMAGE };
}

/** Creates `n` cpubench domains at once; resolves with the ms until the last has printed its result and powered off. */
async function runDomains(kernel: KernelClient, n: number, tag: string): Promise<number> {
  const output = new Map<number, string>();
  const pending = new Set<number>();
  let finished: () => void = () => {};
  let failed: (e: Error) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const stopListening = kernel.onEvent((e) => {
    if (!pending.has(e.domid)) return;
    if (e.event === 'console') output.set(e.domid, (output.get(e.domid) ?? '') + Buffer.from(e.data).toString('latin1'));
    else if (e.state === 'shutdown' || e.state === 'crashed') {
      if (e.reason !== 'poweroff' || !DONE.test(output.get(e.domid) ?? '')) failed(new Error(`domain ${e.domid} stopped (${e.reason}) without a cpubench result`));
      pending.delete(e.domid);
      if (pending.size === 0) finished();
    }
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) pending.add(await kernel.createDomain(spec(`${tag}-${i}`)));
  try {
    await within(done, 120_000, `${n} cpubench domains to power off`);
  } finally {
    stopListening();
  }
  return performance.now() - t0;
}

const domusRun = (): Promise<Sample> => onFreshHost(async (kernel) => {
  const one = await runDomains(kernel, 1, 'one');
  const two = await runDomains(kernel, 2, 'two');
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

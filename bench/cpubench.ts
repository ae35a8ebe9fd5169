// cpubench: wall time of guests/cpubench (a fixed CPU workload, M-mode) to poweroff, QEMU vs Domus.
import { join } from 'node:path';
import { compare, domus, qemu, ROOT, timeProcess, type Command, type Row, type Sample } from './harness.js';

const IMAGE = join(ROOT, 'guests', 'cpubench', 'cpubench.bin');

/** Runs to the guest's own poweroff; the checksum line proves the work was done (and done right). */
async function run(command: Command): Promise<Sample> {
  const { ms, output, exitCode } = await timeProcess(command);
  const done = /cpubench done ([0-9a-f]{8})/.exec(output);
  if (!done) throw new Error(`no "cpubench done" line; output ends: ${output.slice(-300)}`);
  if (exitCode !== 0) throw new Error(`exit status ${exitCode} (expected 0 from the finisher's pass)`);
  return { ms, result: done[1] };
}

export async function cpubench(): Promise<Row[]> {
  return [
    await compare({
      benchmark: 'cpubench: guests/cpubench to poweroff',
      qemu: qemu(['-M', 'virt', '-nographic', '-bios', IMAGE]),
      domus: domus(['--bios', IMAGE]),
      measure: run,
    }),
  ];
}

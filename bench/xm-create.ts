// xm-create: from creating a minios domain to its first console line ("minios: booting on
// Domus"), against QEMU starting a bare-metal guest to its first UART line.
//
// Each Domus run starts a fresh host (`domus up`, not timed), subscribes to the kernel's
// console events, and then measures, in this order:
//   1. the kernel's part: `domain.create` sent on the kernel socket -> the banner event
//      (the first domain of a fresh kernel process, so it includes compiling the Wasm kernel);
//   2. `xm create FILE` spawned -> the banner event of that second domain (end to end: xm's
//      process start, xend, the kernel, the event back to us), and -> xm's exit;
//   3. the kernel's part again for a third domain, now that the kernel process is warm;
//   4. xend's part: the `domain.create` request xm sends, from this process's open connection to
//      xend -> the banner of a fourth domain (xend parses the config, writes the store's
//      device directories, has the kernel build it, unpauses it), with no process start.
// The peer: `qemu-system-riscv64 -M virt -m 16 -nographic -bios none -kernel
// guests/isa/bin/probe_idle_forever.elf`, spawned -> its first line on the 16550 UART.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainSpec } from '../kernel/public/protocol.js';
import { KernelClient } from '../tools/kernel-client.js';
import { XendClient } from '../tools/xm/xend-client.js';
import { parseDomainConfig } from '../tools/config/domain-config.js';
import { formatDomainSxp } from '../tools/config/domain-sxp.js';
import { compareRows, DomusHost, qemu, ROOT, timeProcess, within, type Command, type Row, type Sample } from './harness.js';

const MINIOS = join(ROOT, 'guests', 'minios', 'minios.elf');
const EXTRA = 'mode=idle tick=1000';
const BANNER = 'minios: booting on Domus';
const PEER_IMAGE = join(ROOT, 'guests', 'isa', 'bin', 'probe_idle_forever.elf');
const PEER_LINE = 'idle: sleeping in wfi';

const peer = qemu(['-M', 'virt', '-m', '16', '-nographic', '-bios', 'none', '-kernel', PEER_IMAGE]);
/** Stands for the Domus side in the table; measure() runs the real steps on a fresh host. */
const xmCreate: Command = { cmd: 'xm', args: ['create', 'minios.cfg'] };

function spec(name: string): DomainSpec {
  return { name, builder: 'linux', memoryMiB: 16, maxmemMiB: 16, vcpus: 1, cpus: [], bios: null, kernel: MINIOS, extra: EXTRA };
}

/** Resolves with performance.now() at the event that completes BANNER on some domain's console. */
function bannerWatch(kernel: KernelClient): () => Promise<number> {
  const seen = new Map<number, string>();
  let waiter: ((at: number) => void) | undefined;
  kernel.onEvent((e) => {
    if (e.event !== 'console') return;
    const text = (seen.get(e.domid) ?? '') + Buffer.from(e.data).toString('latin1');
    seen.set(e.domid, text.slice(-4096));
    if (text.includes(BANNER) && waiter) {
      const w = waiter;
      waiter = undefined;
      seen.clear();
      w(performance.now());
    }
  });
  // Armed before each create, so a banner is only ever taken by the create that caused it.
  return () => new Promise((resolve) => (waiter = resolve));
}

async function domusRun(): Promise<Sample> {
  const host = await DomusHost.up();
  let kernel: KernelClient | undefined;
  let xend: XendClient | undefined;
  try {
    kernel = await KernelClient.connect(host.home);
    const banner = bannerWatch(kernel);
    await kernel.subscribe(['console']);

    let seen = banner();
    const t0 = performance.now();
    await kernel.createDomain(spec('bench-kernel'));
    const kernelMs = (await within(seen, 10_000, 'banner from domain.create')) - t0;

    const cfg = join(host.home, 'minios.cfg');
    writeFileSync(cfg, `name = 'bench-xm'\nbuilder = 'linux'\nkernel = '${MINIOS}'\nmemory = 16\nextra = '${EXTRA}'\n`);
    seen = banner();
    const t1 = performance.now();
    const xm = await timeProcess(host.xm(['create', cfg]));
    if (xm.exitCode !== 0) throw new Error(`xm create exited ${xm.exitCode}: ${xm.output}`);
    const lineMs = (await within(seen, 10_000, 'banner from xm create')) - t1;

    seen = banner();
    const t2 = performance.now();
    await kernel.createDomain(spec('bench-warm'));
    const warmMs = (await within(seen, 10_000, 'banner from the third domain.create')) - t2;

    xend = await XendClient.connect(host.home);
    // What xm sends: the startup file as SXP (parsed here, before the clock starts).
    const sxp = formatDomainSxp(parseDomainConfig(`name = 'bench-xend'\nbuilder = 'linux'\nkernel = '${MINIOS}'\nmemory = 16\nextra = '${EXTRA}'\n`, 'bench-xend.cfg'));
    seen = banner();
    const t3 = performance.now();
    await xend.create(sxp, 'bench-xend.cfg', false);
    const xendMs = (await within(seen, 10_000, "banner from xend's domain.create")) - t3;
    return { ms: lineMs, also: { exit: xm.ms, kernel: kernelMs, warm: warmMs, xend: xendMs } };
  } finally {
    xend?.close();
    kernel?.close();
    await host.down();
  }
}

async function peerRun(command: Command): Promise<Sample> {
  const { ms } = await timeProcess(command, (out) => out.includes(PEER_LINE));
  return { ms };
}

export async function xmCreateBench(): Promise<Row[]> {
  return compareRows({
    benchmark: 'xm-create: `xm create` minios → first console line (xm process start, xend, kernel)',
    qemu: peer,
    domus: xmCreate,
    measure: (command) => (command === peer ? peerRun(command) : domusRun()),
    also: {
      exit: 'xm-create: `xm create` minios → xm exits',
      kernel: "xm-create: kernel's part: `domain.create` on the kernel socket → first console line (fresh kernel process)",
      warm: "xm-create: kernel's part, third domain of the same kernel process",
      xend: "xm-create: xend's part: the `domain.create` request xm sends → first console line (no process start)",
    },
  });
}

// uboot-boot: wall time from process start to U-Boot's "=> " prompt, QEMU vs Domus.
import { compare, domus, qemu, timeProcess, type Case, type Command, type Row, type Sample, type StopWhen } from './harness.js';

import { OPENSBI_FW_JUMP as OPENSBI_JUMP, UBOOT_MMODE, UBOOT_SMODE } from '../tools/debian-firmware.js';

/**
 * Presses Enter as soon as the autoboot countdown appears (so neither emulator waits out
 * the bootdelay or tries to boot an OS), then stops the clock at the first prompt after it.
 */
function untilPrompt(): StopWhen {
  let keyAt = -1;
  return (output, stdin) => {
    if (keyAt < 0) {
      const i = output.indexOf('autoboot');
      if (i < 0) return false;
      stdin.write('\r');
      keyAt = i;
    }
    return output.indexOf('=> ', keyAt) >= 0;
  };
}

async function toPrompt(command: Command): Promise<Sample> {
  const { ms } = await timeProcess(command, untilPrompt());
  return { ms };
}

const cases: Case[] = [
  {
    benchmark: 'uboot-boot: OpenSBI fw_jump + S-mode U-Boot → prompt',
    qemu: qemu(['-M', 'virt', '-m', '256', '-nographic', '-bios', OPENSBI_JUMP, '-kernel', UBOOT_SMODE]),
    domus: domus(['-m', '256', '--bios', OPENSBI_JUMP, '--kernel', UBOOT_SMODE]),
    measure: toPrompt,
  },
  {
    benchmark: 'uboot-boot: M-mode U-Boot alone → prompt',
    qemu: qemu(['-M', 'virt', '-m', '256', '-nographic', '-bios', UBOOT_MMODE]),
    domus: domus(['-m', '256', '--bios', UBOOT_MMODE]),
    measure: toPrompt,
  },
];

export async function ubootBoot(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of cases) rows.push(await compare(c));
  return rows;
}

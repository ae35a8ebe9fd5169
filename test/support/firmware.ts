// Debian's RISC-V firmware, installed by scripts/setup (packages opensbi and u-boot-qemu).

export const OPENSBI_FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
export const UBOOT_SMODE = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
export const UBOOT_MMODE = "/usr/lib/u-boot/qemu-riscv64/u-boot.bin";
/** The prompt at the start of a line ("==> " inside command output is not one). */
export const UBOOT_PROMPT = /(^|\n)=> /;

import type { GuestConsole } from "./guest-console.js";

/** Stop U-Boot's autoboot countdown and wait for its prompt. */
export async function reachUbootPrompt(c: GuestConsole): Promise<string> {
  const banner = await c.waitFor("Hit any key to stop autoboot");
  c.type("\r");
  await c.waitFor(UBOOT_PROMPT);
  return banner;
}

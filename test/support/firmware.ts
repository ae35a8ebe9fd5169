// Driving U-Boot from a test.

export { OPENSBI_FW_JUMP, UBOOT_SMODE, UBOOT_MMODE } from "../../tools/debian-firmware.js";
/** The prompt at the start of a line ("==> " inside command output is not one). */
export const UBOOT_PROMPT = /(^|\n)=> /;

import type { ConsoleDriver } from "./console-driver.js";

/** Stop U-Boot's autoboot countdown and wait for its prompt. */
export async function reachUbootPrompt(c: ConsoleDriver): Promise<string> {
  const banner = await c.waitFor("Hit any key to stop autoboot");
  c.type("\r");
  await c.waitFor(UBOOT_PROMPT);
  return banner;
}

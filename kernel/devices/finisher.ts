// SiFive test finisher: the guest writes a command to power off (with a status) or reboot.

import { FINISHER_FAIL, FINISHER_PASS, FINISHER_RESET } from "../public/board";
import { EXIT_POWEROFF, EXIT_RESET } from "../public/kernel-abi";
import { requestExit } from "../cpu/exit";

export function finisherWrite(off: u32, v: u64): void {
  if (off != 0) return;
  const cmd = <u32>v & 0xffff;
  if (cmd == FINISHER_PASS) requestExit(EXIT_POWEROFF, 0);
  else if (cmd == FINISHER_FAIL) requestExit(EXIT_POWEROFF, <i32>((<u32>v >> 16) & 0xffff));
  else if (cmd == FINISHER_RESET) requestExit(EXIT_RESET, 0);
}

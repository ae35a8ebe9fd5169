// HTIF, as the Spike simulator offers it: a test binary writes a command word to its `tohost`
// symbol. Bit 0 set with device 0 means "exit with status tohost >> 1"; device 1 command 1 is a
// console character. The host tells the kernel where the symbols are.

import { EXIT_POWEROFF } from "../public/kernel-abi";
import { isRam, ramHost } from "../cpu/mmu";
import { requestExit } from "../cpu/exit";
import { consoleOut } from "./uart";
import { SA_HTIF_TOHOST, SA_HTIF_FROMHOST } from "../public/save-area";

class Htif {
  static tohost: u64 = 0;
  static fromhost: u64 = 0;
}

export function htifSet(tohost: u64, fromhost: u64): void {
  Htif.tohost = isRam(tohost) && isRam(tohost + 7) ? tohost : 0;
  Htif.fromhost = isRam(fromhost) && isRam(fromhost + 7) ? fromhost : 0;
}

export function htifSave(area: usize): void {
  store<u64>(area, Htif.tohost, SA_HTIF_TOHOST);
  store<u64>(area, Htif.fromhost, SA_HTIF_FROMHOST);
}

export function htifRestore(area: usize): void {
  htifSet(load<u64>(area, SA_HTIF_TOHOST), load<u64>(area, SA_HTIF_FROMHOST));
}

/** Called between bursts: act on a command the guest left in tohost. */
export function htifPoll(): void {
  if (Htif.tohost == 0) return;
  const p = ramHost(Htif.tohost);
  const cmd = load<u64>(p);
  if (cmd == 0) return;
  store<u64>(p, 0);
  const device = cmd >> 56;
  const command = (cmd >> 48) & 0xff;
  if (device == 0 && (cmd & 1) != 0) {
    requestExit(EXIT_POWEROFF, <i32>((cmd >> 1) & 0x7fffffff));
  } else if (device == 1 && command == 1) {
    consoleOut(<u32>cmd & 0xff);
    if (Htif.fromhost != 0) store<u64>(ramHost(Htif.fromhost), (device << 56) | (command << 48));
  }
}

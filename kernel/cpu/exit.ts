// Why the current run slice must end. Devices set it (finisher, virtio notify, full console);
// the interpreter checks `Exit.stop` between instructions.

import { EXIT_BUDGET } from "../public/kernel-abi";

export class Exit {
  static stop: bool = false;
  static reason: i32 = EXIT_BUDGET;
  static code: i32 = 0;
}

export function requestExit(reason: i32, code: i32): void {
  Exit.stop = true;
  Exit.reason = reason;
  Exit.code = code;
}

/** End the current burst early (e.g. after a CSR write that may unmask an interrupt). */
@inline export function endBurst(): void {
  Exit.stop = true;
}

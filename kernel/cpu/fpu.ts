// F and D extensions. Placeholder until the full implementation lands: every FP instruction is
// illegal, as on a core without an FPU.

import { raiseIllegal } from "./trap";

/** Execute an FP load/store/op (opcodes 0x07, 0x27, 0x43, 0x47, 0x4b, 0x4f, 0x53). */
export function execFp(insn: u32): void {
  raiseIllegal(insn);
}

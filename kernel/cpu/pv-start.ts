// Starting a paravirtual domain and the host's view of its harts' registers (for the hypercalls
// the host serves). A PV domain has no M-mode firmware: its kernel starts in S-mode, every
// exception and interrupt it can take is delegated to it, and its ecalls come to the hypervisor.

import { CPU, PRIV_S, saveHart, loadHart, hartBlock, setHartStopped } from "./state";
import { DELEGABLE_EXCEPTIONS, S_INTERRUPTS, MENVCFG_STCE, CAUSE_SUPERVISOR_ECALL } from "./bits";
import { onPrivilegeChange } from "./mmu";
import { pvReset } from "./sbi";

const A0: usize = 10;
const A1: usize = 11;
const A2: usize = 12;
const COUNTERS_CYCLE_TIME_INSTRET: u64 = 7;

/** After reset(): hart 0 enters `entry` in S-mode with a0 = 0, a1 = dtb, a2 = startInfo. */
export function startPv(harts: i32, entry: f64, dtb: f64, startInfo: f64, sharedInfo: f64): void {
  pvReset(true, harts, <u64>sharedInfo);
  for (let h = harts - 1; h >= 0; h--) {
    loadHart(h);
    CPU.priv = PRIV_S;
    CPU.medeleg = DELEGABLE_EXCEPTIONS & ~(<u64>1 << CAUSE_SUPERVISOR_ECALL);
    CPU.mideleg = S_INTERRUPTS;
    CPU.menvcfg = MENVCFG_STCE;
    CPU.mcounteren = COUNTERS_CYCLE_TIME_INSTRET;
    CPU.pc = <u64>entry;
    store<u64>(CPU.xr + (A0 << 3), <u64>h);
    store<u64>(CPU.xr + (A1 << 3), <u64>dtb);
    store<u64>(CPU.xr + (A2 << 3), <u64>startInfo);
    saveHart();
    // Secondary vCPUs stay stopped until the guest starts them through SBI HSM.
    setHartStopped(h, h != 0);
  }
  loadHart(0);
  onPrivilegeChange();
}

/** Register r of hart h (the current hart's registers live in its block too). */
export function hartReg(h: i32, r: i32): u64 {
  return load<u64>(hartBlock(h) + (<usize>(r & 31) << 3));
}

export function setHartReg(h: i32, r: i32, v: u64): void {
  if ((r & 31) != 0) store<u64>(hartBlock(h) + (<usize>(r & 31) << 3), v);
}

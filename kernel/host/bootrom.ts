// The reset vector at BOOTROM_BASE, as QEMU's virt board has it: every hart starts here in
// M-mode, loads a0 = mhartid, a1 = the device tree, a2 = the fw_dynamic info block, and jumps
// to the firmware. The words are encoded here rather than copied as magic numbers.

import { BOOTROM_SIZE } from "../public/board.js";

const T0 = 5;
const A0 = 10;
const A1 = 11;
const A2 = 12;
const CSR_MHARTID = 0xf14;

const iType = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;

const auipc = (rd: number, imm20: number): number => (((imm20 << 12) | (rd << 7) | 0x17) >>> 0);
const addi = (rd: number, rs1: number, imm: number): number => iType(imm, rs1, 0, rd, 0x13);
const ld = (rd: number, rs1: number, imm: number): number => iType(imm, rs1, 3, rd, 0x03);
const csrr = (rd: number, csr: number): number => iType(csr, 0, 2, rd, 0x73);
const jr = (rs1: number): number => iType(0, rs1, 0, 0, 0x67);

/** fw_dynamic_info (OpenSBI's include/sbi/fw_dynamic.h): magic "OSBI", version 2. */
const FW_DYNAMIC_MAGIC = 0x4942534fn;
const FW_DYNAMIC_VERSION = 2n;
const NEXT_MODE_S = 1n;

export interface BootRomParams {
  /** Where the firmware (or, without firmware, the kernel) starts. */
  readonly start: number;
  readonly fdt: number;
  /** Where firmware should jump next (the kernel), for fw_dynamic. */
  readonly next: number;
}

export function bootRom(p: BootRomParams): Uint8Array {
  const rom = new Uint8Array(BOOTROM_SIZE);
  const view = new DataView(rom.buffer);
  const START = 0x18;
  const FDT = 0x20;
  const INFO = 0x28;
  const code = [
    auipc(T0, 0),
    addi(A2, T0, INFO),
    csrr(A0, CSR_MHARTID),
    ld(A1, T0, FDT),
    ld(T0, T0, START),
    jr(T0),
  ];
  code.forEach((word, i) => view.setUint32(i * 4, word, true));
  view.setBigUint64(START, BigInt(p.start), true);
  view.setBigUint64(FDT, BigInt(p.fdt), true);
  const info = [FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, BigInt(p.next), NEXT_MODE_S, 0n, 0n];
  info.forEach((v, i) => view.setBigUint64(INFO + i * 8, v, true));
  return rom;
}

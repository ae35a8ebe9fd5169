// The device tree of our board, shaped like QEMU's `virt` machine so OpenSBI, U-Boot and
// Linux find the same drivers they use there. Only devices we emulate are described:
// no PCI, flash, fw-cfg or platform bus.

import {
  CLINT_BASE,
  CLINT_SIZE,
  FINISHER_BASE,
  FINISHER_PASS,
  FINISHER_RESET,
  FINISHER_SIZE,
  MAX_HARTS,
  PLIC_BASE,
  PLIC_SIZE,
  PLIC_SOURCES,
  RAM_BASE,
  RTC_BASE,
  RTC_IRQ,
  RTC_SIZE,
  TIMEBASE_HZ,
  UART_BASE,
  UART_CLOCK_HZ,
  UART_IRQ,
  UART_SIZE,
  VIRTIO_BASE,
  VIRTIO_IRQ_BASE,
  VIRTIO_SLOTS,
  VIRTIO_STRIDE,
} from "../public/board.js";
import { cells, concat, type FdtNode, fdtRoot, reg, str, strings, toDtb, u64 } from "./fdt.js";

export interface VirtBoardConfig {
  readonly ramBytes: number;
  readonly harts: number;
  /** The riscv,isa string of every hart, e.g. "rv64imafdc_zicsr_zifencei_sstc". */
  readonly isa: string;
  readonly mmuType: "riscv,sv39" | "riscv,sv48";
  readonly bootargs?: string;
  /** Guest-physical range of an initial ramdisk, end exclusive. */
  readonly initrd?: { readonly start: number; readonly end: number };
  /** How many virtio-mmio transports to describe (default: all VIRTIO_SLOTS). */
  readonly virtioSlots?: number;
  /** A simple framebuffer (x8r8g8b8) at the top of RAM, left out of the memory node. */
  readonly framebuffer?: BoardFramebuffer;
}

export interface BoardFramebuffer {
  readonly base: number;
  readonly width: number;
  readonly height: number;
  /** Bytes per line. */
  readonly stride: number;
}

// Interrupt causes on a hart's local interrupt controller (mip bit numbers).
const IRQ_M_SOFT = 3;
const IRQ_M_TIMER = 7;
const IRQ_S_EXT = 9;
const IRQ_M_EXT = 11;

const hex = (n: number): string => n.toString(16);

function checkConfig(cfg: VirtBoardConfig): void {
  const ramEnd = RAM_BASE + cfg.ramBytes;
  if (!Number.isSafeInteger(cfg.ramBytes) || cfg.ramBytes <= 0 || !Number.isSafeInteger(ramEnd)) {
    throw new RangeError(`ramBytes must be a positive integer, got ${cfg.ramBytes}`);
  }
  if (!Number.isInteger(cfg.harts) || cfg.harts < 1 || cfg.harts > MAX_HARTS) {
    throw new RangeError(`harts must be 1..${MAX_HARTS}, got ${cfg.harts}`);
  }
  // Linux and OpenSBI parse this string: base "rv64", then letters, then "_"-separated extensions.
  if (!/^rv64[a-z][a-z0-9_]*$/.test(cfg.isa)) throw new RangeError(`isa ${JSON.stringify(cfg.isa)} is not an rv64 ISA string`);
  if (cfg.mmuType !== "riscv,sv39" && cfg.mmuType !== "riscv,sv48") {
    throw new RangeError(`mmuType must be riscv,sv39 or riscv,sv48, got ${JSON.stringify(cfg.mmuType)}`);
  }
  const slots = cfg.virtioSlots ?? VIRTIO_SLOTS;
  if (!Number.isInteger(slots) || slots < 0 || slots > VIRTIO_SLOTS) {
    throw new RangeError(`virtioSlots must be 0..${VIRTIO_SLOTS}, got ${slots}`);
  }
  if (cfg.initrd) {
    const { start, end } = cfg.initrd;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < RAM_BASE || end < start || end > ramEnd) {
      throw new RangeError(`initrd 0x${hex(start)}..0x${hex(end)} is not inside RAM 0x${hex(RAM_BASE)}..0x${hex(ramEnd)}`);
    }
  }
}

function addCpus(root: FdtNode, cfg: VirtBoardConfig): FdtNode[] {
  const cpus = root.node("cpus");
  cpus.prop("#address-cells", cells(1)).prop("#size-cells", cells(0)).prop("timebase-frequency", cells(TIMEBASE_HZ));
  const cpuNodes: FdtNode[] = [];
  const intcs: FdtNode[] = [];
  for (let hart = 0; hart < cfg.harts; hart++) {
    const cpu = cpus.node(`cpu@${hex(hart)}`);
    cpu
      .prop("device_type", str("cpu"))
      .prop("reg", cells(hart))
      .prop("status", str("okay"))
      .prop("compatible", str("riscv"))
      .prop("riscv,isa", str(cfg.isa))
      .prop("mmu-type", str(cfg.mmuType));
    // #address-cells = 0: an interrupt provider needs it (for interrupt-map users); dtc warns without it.
    const intc = cpu.node("interrupt-controller");
    intc
      .prop("#interrupt-cells", cells(1))
      .prop("#address-cells", cells(0))
      .prop("interrupt-controller")
      .prop("compatible", str("riscv,cpu-intc"));
    cpuNodes.push(cpu);
    intcs.push(intc);
  }
  const cluster = cpus.node("cpu-map").node("cluster0");
  cpuNodes.forEach((cpu, hart) => cluster.node(`core${hart}`).prop("cpu", cells(cpu)));
  return intcs;
}

/** Builds the tree; exported separately from serialisation so callers can inspect or extend it. */
export function virtBoardNode(cfg: VirtBoardConfig): FdtNode {
  checkConfig(cfg);
  const root = fdtRoot();
  root
    .prop("#address-cells", cells(2))
    .prop("#size-cells", cells(2))
    .prop("compatible", str("riscv-virtio"))
    .prop("model", str("riscv-virtio,qemu"));

  const chosen = root.node("chosen");
  chosen.prop("stdout-path", str(`/soc/serial@${hex(UART_BASE)}`));
  if (cfg.bootargs !== undefined) chosen.prop("bootargs", str(cfg.bootargs));
  if (cfg.initrd) {
    // 64-bit, as QEMU writes them; Linux accepts either width.
    chosen.prop("linux,initrd-start", u64(cfg.initrd.start)).prop("linux,initrd-end", u64(cfg.initrd.end));
  }

  const fb = cfg.framebuffer;
  root
    .node(`memory@${hex(RAM_BASE)}`)
    .prop("device_type", str("memory"))
    .prop("reg", reg([[RAM_BASE, fb === undefined ? cfg.ramBytes : fb.base - RAM_BASE]]));
  if (fb !== undefined) {
    // Linux's simple-framebuffer binding: memory the firmware set up, drawn into by the guest.
    root
      .node(`framebuffer@${hex(fb.base)}`)
      .prop("compatible", str("simple-framebuffer"))
      .prop("reg", reg([[fb.base, fb.stride * fb.height]]))
      .prop("width", cells(fb.width))
      .prop("height", cells(fb.height))
      .prop("stride", cells(fb.stride))
      .prop("format", str("x8r8g8b8"));
  }

  const intcs = addCpus(root, cfg);

  const soc = root.node("soc");
  soc.prop("#address-cells", cells(2)).prop("#size-cells", cells(2)).prop("compatible", str("simple-bus")).prop("ranges");

  soc
    .node(`clint@${hex(CLINT_BASE)}`)
    .prop("compatible", strings("sifive,clint0", "riscv,clint0"))
    .prop("reg", reg([[CLINT_BASE, CLINT_SIZE]]))
    .prop("interrupts-extended", concat(...intcs.map((intc) => cells(intc, IRQ_M_SOFT, intc, IRQ_M_TIMER))));

  // PLIC contexts are numbered M-mode then S-mode per hart, in this order.
  const plic = soc.node(`plic@${hex(PLIC_BASE)}`);
  plic
    .prop("#interrupt-cells", cells(1))
    .prop("#address-cells", cells(0))
    .prop("compatible", strings("sifive,plic-1.0.0", "riscv,plic0"))
    .prop("interrupt-controller")
    .prop("interrupts-extended", concat(...intcs.map((intc) => cells(intc, IRQ_M_EXT, intc, IRQ_S_EXT))))
    .prop("reg", reg([[PLIC_BASE, PLIC_SIZE]]))
    .prop("riscv,ndev", cells(PLIC_SOURCES));

  const device = (name: string, base: number, size: number, compatible: string[], irq?: number): FdtNode => {
    const node = soc.node(`${name}@${hex(base)}`);
    node.prop("compatible", strings(...compatible)).prop("reg", reg([[base, size]]));
    if (irq !== undefined) node.prop("interrupt-parent", cells(plic)).prop("interrupts", cells(irq));
    return node;
  };

  device("serial", UART_BASE, UART_SIZE, ["ns16550a"], UART_IRQ).prop("clock-frequency", cells(UART_CLOCK_HZ));
  // Lowest address first, unlike QEMU's reverse order, so slot 0 is probed first.
  for (let slot = 0; slot < (cfg.virtioSlots ?? VIRTIO_SLOTS); slot++) {
    device("virtio_mmio", VIRTIO_BASE + slot * VIRTIO_STRIDE, VIRTIO_STRIDE, ["virtio,mmio"], VIRTIO_IRQ_BASE + slot);
  }
  device("rtc", RTC_BASE, RTC_SIZE, ["google,goldfish-rtc"], RTC_IRQ);
  const finisher = device("test", FINISHER_BASE, FINISHER_SIZE, ["sifive,test1", "sifive,test0", "syscon"]);

  // Firmware and Linux power off and reboot by writing these values into the finisher.
  root
    .node("poweroff")
    .prop("compatible", str("syscon-poweroff"))
    .prop("regmap", cells(finisher))
    .prop("offset", cells(0))
    .prop("value", cells(FINISHER_PASS));
  root
    .node("reboot")
    .prop("compatible", str("syscon-reboot"))
    .prop("regmap", cells(finisher))
    .prop("offset", cells(0))
    .prop("value", cells(FINISHER_RESET));

  return root;
}

/** The DTB for our board. */
export function virtBoardTree(cfg: VirtBoardConfig): Uint8Array {
  return toDtb(virtBoardNode(cfg));
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * Where QEMU's virt board puts the DTB: as high as possible so a kernel or initrd does not
 * overwrite it, but below 3 GiB so 32-bit code can reach it, aligned down to 2 MiB.
 */
export function fdtLoadAddress(ramBase: number, ramBytes: number, dtbSize: number): number {
  const ramEnd = ramBase + ramBytes;
  if (![ramBase, ramBytes, dtbSize, ramEnd].every(Number.isSafeInteger) || ramBase < 0 || ramBytes <= 0 || dtbSize <= 0) {
    throw new RangeError(`bad RAM 0x${hex(ramBase)}+0x${hex(ramBytes)} or DTB size ${dtbSize}`);
  }
  const top = ramBase < 3 * GiB ? Math.min(ramEnd, 3 * GiB) : ramEnd;
  const address = Math.floor((top - dtbSize) / (2 * MiB)) * (2 * MiB);
  if (address < ramBase) throw new RangeError(`a ${dtbSize}-byte DTB does not fit in RAM 0x${hex(ramBase)}+0x${hex(ramBytes)}`);
  return address;
}

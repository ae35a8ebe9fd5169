// The saved state of one machine: everything needed to continue it elsewhere (`Machine.saveState`
// gives it, `new Machine(config, state)` continues from it). A plain object that msgpack carries
// as it is: 64-bit values are bigints, bytes are Uint8Arrays, the rest numbers, booleans and
// strings. Save files and migration streams are this object in msgpack.
//
// What the config already says (images, device models, memory size) is not in the state; the
// state names the memory size, harts and builder only so a restore can refuse a config that
// does not match. Caches the kernel rebuilds (TLBs, decoded instructions) are not in it either.

import type { Builder } from "./protocol.js";

export const MACHINE_STATE_FORMAT = "domus-machine-state";
/**
 * Bumped whenever a field is added, removed or changes meaning; a restore takes only the version
 * it was built for, so an old state is refused by name rather than misread.
 */
export const MACHINE_STATE_VERSION = 1;
/** RAM travels as runs of consecutive non-zero pages, at most this many pages (1 MiB) each. */
export const RAM_RUN_MAX_PAGES = 256;

/** The CSRs kept per hart, by their names in the privileged spec. */
export const HART_CSRS = [
  "mstatus", "medeleg", "mideleg", "mie", "mip", "mtvec", "mscratch", "mepc", "mcause", "mtval", "mcounteren",
  "menvcfg", "stvec", "sscratch", "sepc", "scause", "stval", "scounteren", "senvcfg", "satp", "stimecmp",
] as const;
export type HartCsr = (typeof HART_CSRS)[number];

export interface HartState {
  /** x0..x31; x0 is 0. */
  readonly x: readonly bigint[];
  /** f0..f31, as the 64-bit registers hold them (singles NaN-boxed). */
  readonly f: readonly bigint[];
  readonly pc: bigint;
  /** 0 = U, 1 = S, 3 = M. */
  readonly priv: number;
  /** Asleep in WFI (or SCHEDOP_block) until an interrupt. */
  readonly waiting: boolean;
  /** Stopped through SBI HSM (paravirtual vCPUs). */
  readonly stopped: boolean;
  readonly instret: bigint;
  /** `mip` holds only the software-writable bits; the lines devices drive follow from their state. */
  readonly csr: Readonly<Record<HartCsr, bigint>>;
  readonly frm: number;
  readonly fflags: number;
  /** pmpcfg0, 2, .. 14 (8) and pmpaddr0..63 (64): stored, not enforced. */
  readonly pmpcfg: readonly bigint[];
  readonly pmpaddr: readonly bigint[];
  /** The CLINT's registers for this hart. */
  readonly mtimecmp: bigint;
  readonly msip: boolean;
}

/** `data.length / 4096` consecutive RAM pages from page `page` (page 0 is at RAM_BASE). */
export interface RamRun {
  readonly page: number;
  readonly data: Uint8Array;
}

export interface UartState {
  readonly ier: number;
  readonly lcr: number;
  readonly mcr: number;
  readonly scr: number;
  readonly fcr: number;
  readonly dll: number;
  readonly dlm: number;
  readonly thrEmptyPending: boolean;
  /** Received bytes the guest has not read yet. */
  readonly rx: Uint8Array;
}

/** Levels and pending bits are not saved: pending = level and not claimed, and levels are the devices'. */
export interface PlicState {
  /** By source (0..PLIC_SOURCES-1; source 0 does not exist and is 0). */
  readonly priority: readonly number[];
  /** Sources in service (claimed, not completed), PLIC_WORDS words. */
  readonly claimed: readonly number[];
  /** PLIC_WORDS words per context (M, S of hart 0, then hart 1, ...). */
  readonly enable: readonly number[];
  readonly threshold: readonly number[];
}

export interface VirtqueueState {
  readonly num: number;
  readonly ready: boolean;
  readonly desc: bigint;
  readonly driver: bigint;
  readonly device: bigint;
  /** The device's next index in the avail ring. */
  readonly lastAvail: number;
  /**
   * Chains taken from the ring but not yet answered, by head index: the device is handed them
   * again on restore (an answer from the old backend cannot arrive any more).
   */
  readonly inflight: readonly number[];
}

/** A virtio-mmio slot's transport registers and config space (virtio 1.x, 4.2.2). */
export interface VirtioSlotState {
  readonly slot: number;
  readonly deviceId: number;
  /** What the device offered; a restore refuses a device that offers otherwise. */
  readonly deviceFeatures: bigint;
  readonly driverFeatures: bigint;
  readonly deviceFeaturesSel: number;
  readonly driverFeaturesSel: number;
  readonly queueSel: number;
  readonly interruptStatus: number;
  readonly status: number;
  readonly configGeneration: number;
  /** How often the driver reset the device (answers to older requests are dropped). */
  readonly resets: number;
  /** VIRTIO_MAX_QUEUES queues. */
  readonly queues: readonly VirtqueueState[];
  /** The config space as the guest sees it, VIRTIO_CONFIG_SIZE bytes. */
  readonly config: Uint8Array;
}

/**
 * A paravirtual domain's event channel. A port whose other end is outside this domain (another
 * domain, a backend process) is saved unbound to that domain, as Xen leaves a port whose remote
 * end closed: the other end is not part of this state and binds again.
 */
export type SavedPort =
  | { readonly port: number; readonly kind: "unbound"; readonly remoteDom: number }
  | { readonly port: number; readonly kind: "virq"; readonly virq: number; readonly vcpu: number }
  | { readonly port: number; readonly kind: "host"; readonly service: "console" | "store" };

/** A request of the guest's the store had not answered (or answered ahead of an earlier one). */
export interface SavedXenstoreRequest {
  readonly msg: Uint8Array;
  /** False when the relay answered it itself (EAGAIN for a transaction that died). */
  readonly sent: boolean;
  readonly reply?: Uint8Array;
}

/**
 * The kernel's relay of the xenstore ring (kernel/host/pv/xenstore-ring.ts). The store
 * connection itself cannot travel: a restored relay connects anew, and the guest sees what it
 * sees after a store restart (its watches registered again, unanswered requests sent again,
 * transactions ended with EAGAIN).
 */
export interface XenstoreRelayState {
  /** The guest had notified its store port: the relay connects at once on restore. */
  readonly introduced: boolean;
  /** Request bytes taken from the ring, not yet a whole message. */
  readonly partialRequest: Uint8Array;
  /** Whole replies waiting for room in the ring. */
  readonly replies: Uint8Array;
  readonly pending: readonly SavedXenstoreRequest[];
  /** The guest's acknowledged watches: WATCH payloads (`path\0token\0`). */
  readonly watches: readonly Uint8Array[];
  /** Transactions open at the store; a restored relay ends them with EAGAIN. */
  readonly transactions: readonly number[];
}

export interface PvState {
  readonly ports: readonly SavedPort[];
  /** RAM pages (0 = RAM_BASE) the guest gave back through its balloon: holes in its P2M. */
  readonly balloon: readonly number[];
  readonly xenstore?: XenstoreRelayState;
}

export interface MachineState {
  readonly format: typeof MACHINE_STATE_FORMAT;
  readonly version: number;
  readonly builder: Builder;
  readonly memMiB: number;
  /** The RAM region `ram` covers: a paravirtual domain's maxmem (its balloon's reach), else memMiB. */
  readonly maxMemMiB: number;
  /** One per hart of the config. */
  readonly harts: readonly HartState[];
  /** The hart the kernel was running. */
  readonly currentHart: number;
  /** The CLINT's mtime when saved: a restored machine's time goes on from here. */
  readonly clint: { readonly mtime: bigint };
  readonly logDirty: boolean;
  /** The non-zero pages of RAM, ascending; every page not listed is zero. */
  readonly ram: readonly RamRun[];
  /** The boot ROM's contents (BOOTROM_SIZE bytes). */
  readonly bootRom: Uint8Array;
  readonly uart: UartState;
  readonly plic: PlicState;
  /** The guest's offset from the host's wall clock, and the latched high word. */
  readonly rtc: { readonly offsetNs: bigint; readonly latchedHigh: number };
  /** Where the guest's tohost and fromhost are (0: none). */
  readonly htif: { readonly tohost: bigint; readonly fromhost: bigint };
  /** The slots that hold a device, ascending. */
  readonly virtio: readonly VirtioSlotState[];
  /** Paravirtual domains only. */
  readonly pv?: PvState;
}

// One RISC-V machine on the `virt` board: loads firmware, kernel, initrd and device tree into
// the Wasm kernel's memory, then runs it in slices, serving the console, virtio queues and
// timers between slices. `domus run` drives one of these in the foreground.

import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BOOTROM_HOST, DIRTY_BITMAP_BASE, EXIT_BUDGET, EXIT_CONSOLE, EXIT_HYPERCALL, EXIT_IDLE, EXIT_NOTIFY, EXIT_POWEROFF,
  EXIT_EVTCHN, EXIT_LANE_HOME, EXIT_RESET, MAX_LANES, UART_TX_RING,
} from "../public/kernel-abi.js";
import { KERNEL_OFFSET_WITH_BIOS, MAX_HARTS, RAM_BASE } from "../public/board.js";
import { GUEST_RAM_HOST_BASE } from "../public/kernel-abi.js";
import { loadKernel, type WasmKernel } from "./wasm-kernel.js";
import { GuestMemory } from "./guest-memory.js";
import { Virtqueues, offeredFeatures, type VirtioDevice } from "./virtqueue.js";
import { MACHINE_STATE_FORMAT, MACHINE_STATE_VERSION, type MachineState, type PvState } from "../public/machine-state.js";
import { checkMachineState } from "./machine-state-check.js";
import { hartStopped, readKernelState, writeKernelState } from "./kernel-state.js";
import { nonZeroRuns, writeRuns } from "./ram-runs.js";
import { bootRom } from "./bootrom.js";
import { parseElf, ElfError } from "./elf.js";
import { virtBoardTree, fdtLoadAddress, type BoardFramebuffer } from "./board-tree.js";
import { PvDomain } from "./pv/pv-domain.js";
import { pvLayout, PV_SPECIAL_PAGES, PAGE, type PvLayout } from "./pv/pv-layout.js";
import { startInfoPage } from "./pv/start-info.js";
import { PostedSends } from "./pv/posted-sends.js";
import { takeSetBits } from "./bitmap.js";
import { serveHypercall, HypercallContext } from "./pv/hypercalls.js";
import type { Builder, ShutdownReason } from "../public/protocol.js";
import type { LeavingMachine } from "./pcpu/pcpus.js";
import type { SliceResult } from "./pcpu/slice.js";

export interface MachineConfig {
  /** 'hvm': the full board from reset; 'linux': a paravirtual kernel started in S-mode. */
  readonly builder?: Builder;
  /** Firmware run in M-mode at RAM_BASE, or null for none (the kernel then starts in M-mode). */
  readonly bios: string | null;
  readonly kernel?: string;
  readonly initrd?: string;
  readonly append?: string;
  readonly memMiB: number;
  /** Paravirtual domains: the most memory its balloon may reach (default memMiB). */
  readonly maxMemMiB?: number;
  readonly harts: number;
  /** Device models for the virtio-mmio slots, in slot order. */
  readonly virtio?: readonly VirtioDevice[];
  /** HVM: a simple framebuffer of this size at the top of RAM, its changes found by log-dirty mode. */
  readonly framebuffer?: { readonly width: number; readonly height: number };
  /** Paravirtual domains: this one's id, and how to find the others (event channels, grants). */
  readonly domid?: number;
  readonly peers?: (domid: number) => PvDomain | undefined;
  /** Pages the host can still hand out, for a balloon that grows (default: no limit). */
  readonly hostFreePages?: () => number;
}

export const ISA_STRING = "rv64imafdc_zicsr_zifencei_sstc";
const SLICE_INSTRUCTIONS = 4_000_000;
const MAX_IDLE_MS = 100;
const MIN_MEM_MIB = 16;
const MAX_MEM_MIB = 3072;

/** Where a loaded image ends up and where execution enters it. */
interface Placed {
  readonly entry: number;
  readonly end: number;
}

/** What one slice ended with. */
export type StepResult =
  /** `computing`: it used the whole budget (rather than stopping to ask the host for something). */
  | { readonly kind: "ran"; readonly computing: boolean }
  | { readonly kind: "idle"; readonly ms: number } // every hart waits; next timer in ms (Infinity: none)
  /** The guest stopped itself; `code` is the status it gave (finisher, SBI reset, HTIF). */
  | { readonly kind: "shutdown"; readonly reason: ShutdownReason; readonly code: number };

export class MachineError extends Error {
  override name = "MachineError";
}

let machines = 0;

/**
 * What two lanes' runs of one machine amount to: a shutdown, whichever lane saw it; idle only if
 * both were (with the machine-wide next timer, which each computed alike); computing if either was.
 */
function bothLanes(a: StepResult, b: StepResult): StepResult {
  if (a.kind === "shutdown") return a;
  if (b.kind === "shutdown" || (a.kind === "idle" && b.kind === "idle")) return b;
  return { kind: "ran", computing: (a.kind === "ran" && a.computing) || (b.kind === "ran" && b.computing) };
}

export class Machine {
  /** Names this machine to the pCPU workers that keep an instance of the kernel on its memory. */
  readonly id = ++machines;
  private readonly kernel: WasmKernel;
  /** A slice of it runs on a pCPU worker's instance now: this one's globals are stale. */
  private away = false;
  /** What waits for the machine to come back from a pCPU worker. */
  private readonly homeQueue: (() => void)[] = [];
  private readonly mem: GuestMemory;
  private readonly queues: Virtqueues;
  private readonly ramBytes: number;
  private stopped = false;
  private booted = false;
  private wake: (() => void) | undefined;
  /** run(): an event arrived since the last slice began (it may have come as the slice ended). */
  private woken = false;

  /** Bytes the guest wrote to its console. */
  onConsole: (bytes: Uint8Array) => void = () => {};
  /** Work waits for a slice running on a pCPU worker to end (atHome): the host may cut it short. */
  onAwayWork: () => void = () => {};
  /** An event arrived for this machine while it may sleep (an interrupt is now pending). */
  onWake: () => void = () => {
    this.woken = true;
    this.wake?.();
  };
  onLog: (msg: string) => void = (msg) => process.stderr.write(`domus: ${msg}\n`);

  /**
   * A machine as `config` describes it, powered on; or, given `state` (what saveState gave, here
   * or on another host), the machine that state was, going on from where it was saved. The state
   * is checked against the config before any of it is used (MachineStateError).
   */
  constructor(readonly config: MachineConfig, state?: unknown) {
    if (!Number.isInteger(config.memMiB) || config.memMiB < MIN_MEM_MIB || config.memMiB > MAX_MEM_MIB) {
      throw new MachineError(`memory must be a whole number of MiB from ${MIN_MEM_MIB} to ${MAX_MEM_MIB}, not ${config.memMiB}`);
    }
    if (!Number.isInteger(config.harts) || config.harts < 1 || config.harts > MAX_HARTS) {
      throw new MachineError(`harts must be from 1 to ${MAX_HARTS}, not ${config.harts}`);
    }
    const maxMemMiB = config.builder === "linux" ? config.maxMemMiB ?? config.memMiB : config.memMiB;
    if (!Number.isInteger(maxMemMiB) || maxMemMiB < config.memMiB || maxMemMiB > MAX_MEM_MIB) {
      throw new MachineError(`maxmem must be a whole number of MiB from memory (${config.memMiB}) to ${MAX_MEM_MIB}, not ${maxMemMiB}`);
    }
    // A paravirtual domain's RAM region is its maxmem; what lies above `memory` starts as holes.
    this.ramBytes = maxMemMiB * 1024 * 1024;
    const saved = state === undefined ? undefined : checkMachineState(state, {
      builder: config.builder ?? "hvm",
      memMiB: config.memMiB,
      maxMemMiB,
      harts: config.harts,
      virtio: (config.virtio ?? []).map((dev) => ({ deviceId: dev.deviceId, features: offeredFeatures(dev) })),
    });
    this.kernel = loadKernel(this.ramBytes);
    this.mem = new GuestMemory(() => this.kernel.bytes(), this.ramBytes);
    this.queues = new Virtqueues(
      () => this.kernel.bytes(),
      this.mem,
      (slot, bits) => {
        this.kernel.exports.virtioInterrupt(slot, bits);
        this.onWake(); // an answer from a backend may come while the guest sleeps
      },
      (msg) => this.onLog(msg),
      (work) => this.atHome(work),
    );
    for (const dev of config.virtio ?? []) this.queues.attach(dev);
    if (saved === undefined) this.reset();
    else this.restore(saved);
  }

  /**
   * Everything needed to continue this machine elsewhere, as a plain object for msgpack. Slices
   * are synchronous, so any call falls between two of them; the machine may run on afterwards.
   */
  saveState(): MachineState {
    const maps = this.pv?.maps.count ?? 0;
    if (maps > 0) throw new MachineError(`domain ${this.config.domid ?? 1} maps ${maps} grant(s) of other domains, which a saved state cannot hold: unmap them first`);
    this.drainConsole();
    this.servePosted();
    // A notify not served yet would be lost: its chains become in-flight ones, which the state keeps.
    this.queues.serviceNotified();
    return {
      format: MACHINE_STATE_FORMAT,
      version: MACHINE_STATE_VERSION,
      builder: this.config.builder ?? "hvm",
      memMiB: this.config.memMiB,
      maxMemMiB: this.ramBytes / (1024 * 1024),
      ...readKernelState(this.kernel, this.config.harts),
      ram: nonZeroRuns(this.ram()),
      virtio: this.queues.saveState(),
      ...(this.pv === undefined ? {} : { pv: this.pv.saveState() }),
    };
  }

  /** All of guest RAM as the host sees it. */
  private ram(): Uint8Array {
    return new Uint8Array(this.kernel.memory.buffer, GUEST_RAM_HOST_BASE, this.ramBytes);
  }

  /** Continue from a checked state: the kernel fresh from reset, then RAM, devices and harts as saved. */
  private restore(saved: MachineState): void {
    const k = this.kernel.exports;
    k.reset(this.config.harts, this.ramBytes);
    this.booted = true;
    this.queues.publishAll();
    writeRuns(this.ram(), saved.ram);
    let sharedInfo = 0;
    if (saved.pv !== undefined) {
      const layout = pvLayout(this.ramBytes, this.config.memMiB * 1024 * 1024);
      sharedInfo = layout.sharedInfo;
      this.pv = this.pvDomain(layout, saved.pv);
      this.pv.balloon.restore(k, saved.pv.balloon);
    }
    writeKernelState(this.kernel, saved, sharedInfo);
    this.queues.restoreState(saved.virtio);
    k.restoreState();
    this.queues.resubmit(saved.virtio);
  }

  /** Power-on reset: clear RAM and state, load every image again. */
  reset(): void {
    const k = this.kernel.exports;
    this.pv?.maps.releaseAll(); // the P2M starts again with no holes
    k.reset(this.config.harts, this.ramBytes);
    // Fresh Wasm memory is already zero; only a reboot has to clear what the guest left (its
    // pages above `memory` start as holes, zeroed when filled: clearing them would commit them).
    if (this.booted) this.mem.view(RAM_BASE, this.config.memMiB * 1024 * 1024).fill(0);
    this.booted = true;
    this.queues.publishAll();
    this.load();
  }

  private readImage(path: string, what: string): Uint8Array {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new MachineError(`cannot read the ${what} ${path}: ${(e as Error).message}`);
    }
  }

  /** Load a raw image at `at`, or an ELF at its physical addresses. */
  private place(path: string, what: string, at: number): Placed {
    const bytes = this.readImage(path, what);
    const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
    if (!isElf) {
      this.copyIn(at, bytes, path);
      return { entry: at, end: at + bytes.length };
    }
    try {
      const elf = parseElf(bytes, path);
      let end = 0;
      for (const seg of elf.segments) {
        const pa = Number(seg.paddr);
        this.copyIn(pa, seg.data, path);
        const memsz = Number(seg.memsz);
        // RAM is all zeros here (fresh, or cleared by reset), so the zero-filled part is not
        // written, which would commit every page of it (4 MiB of minios's); the view checks it fits.
        if (memsz > seg.data.length) this.mem.view(pa + seg.data.length, memsz - seg.data.length);
        end = Math.max(end, pa + memsz);
      }
      const tohost = elf.symbol("tohost");
      if (tohost !== undefined) {
        const fromhost = elf.symbol("fromhost");
        this.kernel.exports.setHtif(Number(tohost.value), fromhost === undefined ? 0 : Number(fromhost.value));
      }
      return { entry: Number(elf.entry), end };
    } catch (e) {
      if (e instanceof ElfError) throw new MachineError(e.message);
      throw e;
    }
  }

  private copyIn(gpa: number, data: Uint8Array, path: string): void {
    if (gpa < RAM_BASE || gpa + data.length > RAM_BASE + this.ramBytes) {
      throw new MachineError(`${path} does not fit in RAM at 0x${gpa.toString(16)} (${data.length} bytes; RAM is ${this.config.memMiB} MiB at 0x${RAM_BASE.toString(16)})`);
    }
    this.mem.write(gpa, data);
  }

  private load(): void {
    if (this.config.builder === "linux") {
      this.loadPv();
      return;
    }
    const c = this.config;
    let start: number;
    let next: number;
    let kernelEnd = RAM_BASE;
    if (c.bios !== null) {
      start = this.place(c.bios, "firmware", RAM_BASE).entry;
      next = RAM_BASE + KERNEL_OFFSET_WITH_BIOS;
      if (c.kernel !== undefined) {
        const k = this.place(c.kernel, "kernel", next);
        next = k.entry;
        kernelEnd = k.end;
      }
    } else {
      if (c.kernel === undefined) throw new MachineError("nothing to run: give --bios FILE or --kernel FILE");
      const k = this.place(c.kernel, "kernel", RAM_BASE);
      start = next = k.entry;
      kernelEnd = k.end;
    }
    let initrd: { start: number; end: number } | undefined;
    if (c.initrd !== undefined) {
      // As QEMU does: far enough above the kernel that decompressing it won't overwrite the initrd.
      const data = this.readImage(c.initrd, "initrd");
      const at = Math.max(kernelEnd, next + Math.min(this.ramBytes / 2, 128 * 1024 * 1024));
      const aligned = Math.ceil(at / 4096) * 4096;
      this.copyIn(aligned, data, c.initrd);
      initrd = { start: aligned, end: aligned + data.length };
    }
    const fb = this.framebuffer;
    const dtb = virtBoardTree({
      ramBytes: this.ramBytes,
      harts: c.harts,
      isa: ISA_STRING,
      mmuType: "riscv,sv48",
      bootargs: c.append,
      initrd,
      framebuffer: fb,
    });
    if (fb !== undefined) this.setLogDirty(true);
    const fdt = fdtLoadAddress(RAM_BASE, fb === undefined ? this.ramBytes : fb.base - RAM_BASE, dtb.length);
    this.copyIn(fdt, dtb, "device tree");
    this.kernel.bytes().set(bootRom({ start, fdt, next }), BOOTROM_HOST);
  }

  /**
   * A paravirtual domain: the kernel at 0x80200000 (or its ELF addresses) entered in S-mode with
   * a0 = vCPU, a1 = device tree, a2 = start_info; the hypervisor's pages at the top of RAM.
   */
  private loadPv(): void {
    const c = this.config;
    if (c.kernel === undefined) throw new MachineError("builder='linux' needs a kernel");
    const layout = pvLayout(this.ramBytes, c.memMiB * 1024 * 1024);
    // What the guest holds at boot ends here; the hypervisor's pages are at the top of the region.
    const bootEnd = RAM_BASE + layout.bootPages * PAGE;
    const k = this.place(c.kernel, "kernel", RAM_BASE + KERNEL_OFFSET_WITH_BIOS);
    let module: { start: number; length: number } | undefined;
    if (c.initrd !== undefined) {
      const data = this.readImage(c.initrd, "ramdisk");
      const at = Math.ceil(k.end / 4096) * 4096;
      if (at + data.length > bootEnd) throw new MachineError(`the ramdisk ${c.initrd} does not fit in the domain's memory`);
      this.copyIn(at, data, c.initrd);
      module = { start: at, length: data.length };
    }
    const dtb = virtBoardTree({
      ramBytes: bootEnd - RAM_BASE, harts: c.harts, isa: ISA_STRING, mmuType: "riscv,sv48", bootargs: c.append,
      initrd: module === undefined ? undefined : { start: module.start, end: module.start + module.length },
    });
    const fdt = fdtLoadAddress(RAM_BASE, bootEnd - RAM_BASE, dtb.length);
    this.copyIn(fdt, dtb, "device tree");
    this.mem.view(layout.startInfo, PV_SPECIAL_PAGES * PAGE).fill(0);
    const pv = this.pvDomain(layout);
    this.pv = pv;
    pv.balloon.applyHoles(this.kernel.exports);
    this.mem.write(layout.startInfo, startInfoPage({
      layout, consoleEvtchn: pv.consolePort, storeEvtchn: pv.storePort, cmdline: c.append ?? "", module,
    }));
    this.kernel.exports.startPv(c.harts, k.entry, fdt, layout.startInfo, layout.sharedInfo);
  }

  /** The hypervisor's side of this domain when it is paravirtual. */
  pv: PvDomain | undefined;

  private pvDomain(layout: PvLayout, saved?: PvState): PvDomain {
    return new PvDomain(this.config.domid ?? 1, this.mem, layout, {
      console: (bytes) => this.onConsole(bytes),
      wake: () => this.onWake(),
      atHome: (work) => this.atHome(work),
    }, new PostedSends(() => this.kernel.bytes()), this.kernel, saved);
  }

  /** The event-channel sends the kernel posted (before what ended the run: they came first). */
  private servePosted(): void {
    this.pv?.servePosted(this.config.peers ?? (() => undefined));
  }

  /**
   * The harts that are up: a paravirtual guest stops and starts its own (SBI HSM, served by the
   * kernel); an HVM guest's harts all count, since its firmware keeps them.
   */
  onlineVcpus(): number[] {
    const harts = Array.from({ length: this.config.harts }, (_, h) => h);
    if (this.config.builder !== "linux") return harts;
    return harts.filter((h) => !hartStopped(this.kernel, h));
  }

  /** Bytes typed at the console; returns how many the guest took (its FIFO or ring may be full). */
  input(bytes: Uint8Array): number {
    if (this.away) return 0; // taken after the slice (Domain.feedInput)
    if (this.pv !== undefined) return this.pv.consoleInput(bytes);
    let taken = 0;
    for (const b of bytes) {
      if (this.kernel.exports.uartPush(b) === 0) break;
      taken++;
    }
    this.wake?.();
    return taken;
  }

  private drainConsole(): void {
    const k = this.kernel.exports;
    const n = k.uartTxPending();
    if (n === 0) return;
    this.onConsole(this.kernel.bytes().slice(UART_TX_RING, UART_TX_RING + n));
    k.uartTxClear();
  }

  /** Release what the machine holds outside its memory (disk images). */
  close(): void {
    this.stop();
    this.pv?.maps.releaseAll();
    this.pv?.storeRing?.close();
    this.queues.closeAll();
  }

  /**
   * Log-dirty mode: from now on the kernel marks every RAM page the guest writes (stores, atomics,
   * the A/D bits it sets in page tables). Writes the host makes for the guest (virtio answers,
   * grant copies) are not in the log yet.
   */
  setLogDirty(on: boolean): void {
    this.kernel.exports.setLogDirty(on ? 1 : 0);
  }

  /** The RAM pages (0 = RAM_BASE) written since the last call or since log-dirty began; clears the log. */
  takeDirtyPages(): number[] {
    const pages = takeSetBits(this.kernel.bytes().subarray(DIRTY_BITMAP_BASE, DIRTY_BITMAP_BASE + Math.ceil(this.ramBytes / PAGE / 8)));
    this.kernel.exports.dirtyLogCleared();
    return pages;
  }

  /** The HVM framebuffer's place and shape, if the machine has one. */
  get framebuffer(): BoardFramebuffer | undefined {
    const f = this.config.framebuffer;
    if (f === undefined || this.config.builder === "linux") return undefined;
    const stride = f.width * 4;
    const bytes = Math.ceil((stride * f.height) / PAGE) * PAGE;
    return { base: RAM_BASE + this.ramBytes - bytes, width: f.width, height: f.height, stride };
  }

  /**
   * The framebuffer's lines written since the last call (all of them when `full`), as one band
   * [y, y + h) and its bytes; h = 0 when nothing changed. Uses (and clears) the dirty log.
   */
  framebufferChanges(full: boolean): { y: number; h: number; data: Uint8Array } {
    const fb = this.framebuffer;
    if (fb === undefined) throw new MachineError("this machine has no framebuffer");
    const firstPage = (fb.base - RAM_BASE) / PAGE;
    const pages = this.takeDirtyPages().filter((p) => p >= firstPage);
    let y = 0;
    let end = full ? fb.height : 0;
    if (!full && pages.length > 0) {
      y = Math.floor(((Math.min(...pages) - firstPage) * PAGE) / fb.stride);
      end = Math.min(fb.height, Math.ceil(((Math.max(...pages) - firstPage + 1) * PAGE) / fb.stride));
    }
    const h = Math.max(0, end - y);
    return { y, h, data: this.mem.view(fb.base + y * fb.stride, h * fb.stride).slice() };
  }

  /** Plug a virtio device in (the lowest free slot unless given); returns its slot. */
  attachVirtio(dev: VirtioDevice, slot?: number): number {
    try {
      return this.queues.attach(dev, slot);
    } catch (e) {
      throw new MachineError((e as Error).message);
    }
  }

  /** Unplug the device in `slot` and release it. */
  detachVirtio(slot: number): void {
    this.queues.detach(slot)?.close?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Run one slice of at most `budget` instructions and serve what the guest asked for. */
  step(budget = SLICE_INSTRUCTIONS): StepResult {
    return this.exited(this.kernel.exports.run(budget));
  }

  /**
   * Hand the machine to another instance of the kernel on its memory, for a slice on a pCPU
   * worker (kernel/host/pcpu/): until `arrive`, what would touch it waits (atHome).
   */
  leave(): LeavingMachine {
    this.kernel.exports.park();
    this.away = true;
    return { id: this.id, memory: this.kernel.memory, foreign: this.kernel.foreign.current };
  }

  /**
   * The slice on a pCPU worker ended (or the slices of all its lanes did, kernel/cpu/lanes.ts):
   * take the machine back and serve what each asked for.
   */
  arrive(slices: readonly SliceResult[]): StepResult {
    this.kernel.exports.unpark();
    this.away = false;
    try {
      return slices.map((s) => this.exited(s.reason, s.code)).reduce(bothLanes);
    } finally {
      this.runHomeQueue();
    }
  }

  /**
   * How many lanes its harts may run as at once (on as many pCPUs), lane i taking the harts h
   * with h % lanes == i: a paravirtual machine's may, as long as every lane has a hart with work
   * (a lane with none would end at once, and the others with it). HVM firmware drives the
   * kernel's devices, which only the machine's own instance may touch.
   */
  get lanes(): number {
    if (this.pv === undefined || this.config.harts < 2) return 1;
    const runnable = this.kernel.exports.runnableHarts();
    for (let lanes = MAX_LANES; lanes > 1; lanes--) {
      const busy = new Set<number>();
      for (let h = 0; h < this.config.harts; h++) if ((runnable & (1 << h)) !== 0) busy.add(h % lanes);
      if (busy.size === lanes) return lanes;
    }
    return 1;
  }

  /**
   * A slice on a pCPU worker ended but is not to be served (its domain stopped meanwhile), or
   * failed with its worker: the machine takes up what the save area holds (where the slice
   * ended, or where it left if the worker died), and what waited for it goes ahead.
   */
  abandon(): void {
    this.kernel.exports.unpark();
    this.away = false;
    this.runHomeQueue();
  }

  private runHomeQueue(): void {
    for (const work of this.homeQueue.splice(0)) work();
  }

  /**
   * Run `work` now, or once a slice running on a pCPU worker has ended: what touches the kernel's
   * state (interrupt lines, the event bitmaps in shared_info) must not race the guest.
   */
  atHome(work: () => void): void {
    if (!this.away) {
      work();
      return;
    }
    this.homeQueue.push(work);
    if (this.homeQueue.length === 1) this.onAwayWork();
  }

  /** `work`'s result, once it has run at home (atHome): for requests that read or change the kernel's state. */
  whenHome<T>(work: () => T): Promise<T> {
    return new Promise((resolve, reject) => this.atHome(() => {
      try {
        resolve(work());
      } catch (e) {
        reject(e);
      }
    }));
  }

  /** Serve the end of a run: `code` goes with `reason` (the hart of a hypercall). */
  private exited(reason: number, code = this.kernel.exports.exitCode()): StepResult {
    const k = this.kernel.exports;
    this.drainConsole();
    this.servePosted();
    switch (reason) {
      case EXIT_POWEROFF:
        // A non-zero status is how a guest reports failure: Xen's crash.
        return { kind: "shutdown", reason: code === 0 ? "poweroff" : "crash", code };
      case EXIT_RESET:
        return { kind: "shutdown", reason: "reboot", code: 0 };
      case EXIT_HYPERCALL: {
        const pv = this.pv;
        if (pv === undefined) throw new MachineError("a hypercall from a domain that is not paravirtual");
        const out = serveHypercall(new HypercallContext(pv, code, k, this.config.peers ?? (() => undefined), this.config.hostFreePages));
        if (out.kind === "shutdown") return { kind: "shutdown", reason: out.reason, code: out.reason === "crash" ? 1 : 0 };
        return { kind: "ran", computing: false };
      }
      case EXIT_NOTIFY:
        this.queues.serviceNotified();
        return { kind: "ran", computing: false };
      case EXIT_IDLE: {
        const ms = k.idleMs();
        return { kind: "idle", ms: ms < 0 ? Infinity : ms };
      }
      case EXIT_BUDGET:
        return { kind: "ran", computing: true };
      case EXIT_CONSOLE:
      case EXIT_EVTCHN:
      case EXIT_LANE_HOME: // the hart goes on here, at home
        return { kind: "ran", computing: false };
      default:
        throw new MachineError(`the kernel returned an unknown exit reason ${reason}`);
    }
  }

  /** Run until the guest powers off (resolves with its exit status) or stop() is called (null). */
  async run(): Promise<number | null> {
    while (!this.stopped) {
      this.woken = false;
      const r = this.step();
      if (r.kind === "shutdown") {
        if (r.reason !== "reboot") return r.code;
        this.reset();
      } else if (r.kind === "idle" && !this.woken) await this.idle(Math.min(r.ms, MAX_IDLE_MS));
      // Let the event loop deliver input and signals between slices.
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return null;
  }

  /** Sleep until the next timer or until input arrives. */
  private async idle(ms: number): Promise<void> {
    const ac = new AbortController();
    this.wake = () => ac.abort();
    try {
      await sleep(ms, undefined, { signal: ac.signal });
    } catch {
      // woken early by input or stop()
    } finally {
      this.wake = undefined;
    }
  }
}

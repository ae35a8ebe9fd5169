// A domain as the kernel process keeps it: the machine that runs it, its lifecycle state, its
// scheduling parameters and accounting, and the recent console output.

import { Machine } from "./machine.js";
import { ConsoleLog } from "./console-log.js";
import type { BackendPeer, RemoteDevice } from "./backend-link.js";
import type { BackendRing } from "./pv/backend-ring.js";
import { PAGE, PV_SPECIAL_PAGES } from "./pv/pv-layout.js";
import {
  DEFAULT_CAP, DEFAULT_WEIGHT, type DomainInfo, type DomainSpec, type DomainState, type ShutdownReason,
} from "../public/protocol.js";

const CONSOLE_KEEP_BYTES = 64 * 1024;
const MiB = 1024 * 1024;

export class Domain {
  state: DomainState = "running";
  shutdownReason: ShutdownReason | undefined;
  paused = false;
  /** performance.now() until which every vCPU sleeps in WFI (0: runnable now). */
  sleepUntil = 0;
  /** Told when an event or input wakes the domain (the scheduler looks at it again). */
  onWoken: () => void = () => {};
  /** Woke from sleep since it last ran: runs ahead of domains that used up their credit. */
  boosted = false;
  /**
   * Its last run used its whole budget, rather than stopping to sleep or to ask the host for
   * something: its next run goes to a pCPU worker (Hypervisor.runAtHome).
   */
  computing = false;
  weight = DEFAULT_WEIGHT;
  cap = DEFAULT_CAP;
  /** Milliseconds of CPU this domain may still use at its priority (Xen's credit). */
  credit = 0;
  /** CPU used in the current accounting period, checked against the cap. */
  periodUsedMs = 0;
  cpuMs = 0;
  lastRan = 0;
  /** The most memory it may hold (xm mem-max moves it while it runs). */
  maxmemMiB: number;
  /** The pCPUs it may run on, ascending (empty: any). All its vCPUs share them. */
  affinity: readonly number[] = [];
  /** The pCPUs running a slice of it now: one, or one per lane (kernel/cpu/lanes.ts); none. */
  onCpus: readonly number[] = [];
  /** The pCPUs that ran its last slice (one per lane). */
  lastCpus: readonly number[] = [];
  /**
   * Woken (an event, input) since its slice began: if the slice ends with the guest idle, it was
   * idle before the event reached it, and must not sleep on it.
   */
  wokenInSlice = false;
  /** Virtio devices served by backend processes, by BackendLinks.keyOf. */
  readonly devices = new Map<string, { readonly slot: number; readonly device: RemoteDevice }>();
  /** Event channels bound by backend processes (evtchn.bind), by BackendLinks.keyOf. */
  readonly channels = new Map<string, { readonly port: number; peer: BackendPeer | undefined }>();
  /** PV shared rings served by backend processes, by BackendLinks.keyOf. */
  readonly rings = new Map<string, BackendRing>();
  private readonly consoleLog = new ConsoleLog(CONSOLE_KEEP_BYTES);
  /** How many bytes at the end of the console log no attached console has shown yet. */
  private consoleUnseen = 0;
  private pendingInput: Uint8Array[] = [];

  constructor(
    readonly domid: number,
    private specNow: DomainSpec,
    readonly machine: Machine,
  ) {
    this.maxmemMiB = specNow.maxmemMiB;
  }

  get spec(): DomainSpec {
    return this.specNow;
  }

  rename(name: string): void {
    this.specNow = { ...this.specNow, name };
  }

  /** Whether the scheduler may run it now (it is not running already). */
  runnable(now: number): boolean {
    return !this.paused && (this.state === "running" || this.state === "blocked") && this.sleepUntil <= now && this.onCpus.length === 0;
  }

  /** A run of it begins (here or on a pCPU): what wakes it from now on happens during the run. */
  beginRun(): void {
    this.state = "running";
    this.wokenInSlice = false;
  }

  /** Whether its affinity lets it run on pCPU `cpu`. */
  mayRunOn(cpu: number): boolean {
    return this.affinity.length === 0 || this.affinity.includes(cpu);
  }

  recordConsole(bytes: Uint8Array): void {
    this.consoleLog.append(bytes);
    this.consoleUnseen = Math.min(this.consoleLog.length, this.consoleUnseen + bytes.length);
  }

  /**
   * The console output no console has shown yet (up to 64 KiB), as xenconsoled keeps what a guest
   * prints while nobody is attached; from now on it counts as shown. Not the whole tail: replayed
   * to every new console, its old prompts read as the answer to what is typed next.
   */
  takeUnseenConsole(): Uint8Array {
    const unseen = this.consoleLog.last(this.consoleUnseen);
    this.consoleUnseen = 0;
    return unseen;
  }

  /** What the console showed last (up to 64 KiB), leaving what counts as shown alone. */
  consoleTailBytes(): Uint8Array {
    return this.consoleLog.last();
  }

  /** An attached console has shown everything recorded so far. */
  consoleShown(): void {
    this.consoleUnseen = 0;
  }

  /** Queue keystrokes; what the UART cannot take now is retried after the next slice. */
  input(bytes: Uint8Array): void {
    this.pendingInput.push(bytes);
    this.feedInput();
    this.wakeUp();
  }

  /** An event or input arrived: it runs again as soon as the scheduler picks it. */
  wakeUp(): void {
    this.sleepUntil = 0;
    this.wokenInSlice = true;
    this.onWoken();
  }

  feedInput(): void {
    while (this.pendingInput.length > 0) {
      const head = this.pendingInput[0];
      const taken = this.machine.input(head);
      if (taken < head.length) {
        this.pendingInput[0] = head.subarray(taken);
        return;
      }
      this.pendingInput.shift();
    }
  }

  /** The pages it holds now: a paravirtual domain's follow its balloon. */
  get heldPages(): number {
    const pv = this.machine.pv;
    return pv === undefined ? (this.spec.memoryMiB * MiB) / PAGE : pv.balloon.currentPages + PV_SPECIAL_PAGES;
  }

  /** The memory it holds now, in whole MiB. */
  get memoryMiB(): number {
    return Math.round((this.heldPages * PAGE) / MiB);
  }

  info(): DomainInfo {
    return {
      domid: this.domid,
      name: this.spec.name,
      memoryMiB: this.memoryMiB,
      maxmemMiB: this.maxmemMiB,
      vcpus: this.spec.vcpus,
      online: this.machine.onlineVcpus(),
      state: this.paused && (this.state === "running" || this.state === "blocked") ? "paused" : this.state,
      cpuTimeNs: Math.round(this.cpuMs * 1e6),
      weight: this.weight,
      cap: this.cap,
      cpus: this.affinity,
      lastCpus: this.lastCpus,
      ...(this.shutdownReason !== undefined ? { shutdownReason: this.shutdownReason } : {}),
    };
  }
}

// The management protocol of xend (the toolstack daemon) on DOMUS_HOME/run/xend.sock: what `xm`
// and other management tools send. Framing and request/reply rules are the kernel protocol's
// (kernel/public/frames.ts, protocol.ts): {id, op, ...} gets one {id, ok, result | error}.
//
// Domain configurations cross this socket as SXP text, as they did to Xen's xend: `xm create`
// turns a config file into SXP, `xm list -l` prints the SXP xend returns, and managed domains are
// stored as the same SXP. One representation means what `xm list -l > f; xm new -F f` round-trips
// is exactly what xend keeps.

import type { DomainState } from "./protocol.js";

export const XEND_PROTOCOL_VERSION = 1;
export const XEND_SOCKET = "run/xend.sock"; // relative to DOMUS_HOME

/** What xend does when a guest powers off, reboots or crashes (the manual's on_* settings). */
export type LifecycleAction = "destroy" | "restart" | "preserve" | "rename-restart";
export const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = ["destroy", "restart", "preserve", "rename-restart"];

/** One domain as `xm list` shows it. Domain-0 (the host) is always first. */
export interface XendDomain {
  readonly name: string;
  /** null: a managed domain that is not running. */
  readonly domid: number | null;
  readonly memoryMiB: number;
  readonly maxmemMiB: number;
  readonly vcpus: number;
  /** The vCPUs that are up (xm vcpu-set): all of them unless the domain runs and took some down. */
  readonly online: readonly number[];
  /** null: not running. */
  readonly state: DomainState | null;
  /** CPU seconds used by all its vCPUs. */
  readonly cpuTimeS: number;
  readonly weight: number;
  readonly cap: number;
  /** Seconds since the epoch when it was started; null when not running. */
  readonly startTime: number | null;
  /** Its settings are kept by xend (xm new) rather than only while it runs (xm create). */
  readonly managed: boolean;
  /** pCPUs its vCPUs may run on; empty: any. */
  readonly cpus: readonly number[];
}

/** vCPUs 0 to n-1: every vCPU of a domain with n, as `online` of one that took none down. */
export function everyVcpu(n: number): number[] {
  return Array.from({ length: n }, (_, v) => v);
}

/** `xm vcpu-list`: one row per vCPU of each running domain. */
export interface XendVcpu {
  readonly name: string;
  readonly domid: number;
  readonly vcpu: number;
  /** The pCPU it runs on, or null when the kernel does not say. */
  readonly cpu: number | null;
  readonly state: "running" | "blocked" | "paused" | "offline";
  readonly cpuTimeS: number;
  /** Empty: any CPU. */
  readonly affinity: readonly number[];
}

/** `xm block-list`: one virtual disk of a running domain, as the store describes it. */
export interface XendVbd {
  /** The device number (xvda 51712, hda 768, sda 2048). */
  readonly vdev: number;
  readonly dev: string;
  /** The domain serving it (0: Domain-0's block service). */
  readonly backendId: number;
  /** The backend's xenbus state (4 = connected). */
  readonly state: number;
  /** The PV frontend's event channel and ring grant; -1 for an HVM guest's virtio disk. */
  readonly eventChannel: number;
  readonly ringRef: number;
  readonly backendPath: string;
  readonly uname: string;
  readonly mode: string;
  readonly format: string;
  readonly sectors: number;
}

/** `xm network-list`: one NIC of a running domain, as the store describes it. */
export interface XendVif {
  readonly idx: number;
  readonly backendId: number;
  readonly mac: string;
  readonly handle: number;
  readonly state: number;
  /** The PV frontend's event channel and ring grants; -1 for an HVM guest's virtio NIC. */
  readonly eventChannel: number;
  readonly txRingRef: number;
  readonly rxRingRef: number;
  readonly backendPath: string;
  readonly bridge: string;
}

/** `xm info`: ordered key/value lines, as Xen's xm prints them. */
export type XendHostInfo = readonly (readonly [string, string])[];

/** A domain named by name or by numeric id, as every xm subcommand accepts. */
export type DomainRef = string;

export type XendRequest =
  | { readonly op: "hello"; readonly version: number }
  | { readonly op: "domain.list"; readonly domains?: readonly DomainRef[] }
  /** The domain's full record as SXP text (`xm list -l`). */
  | { readonly op: "domain.sxp"; readonly domain: DomainRef }
  /** Start an unmanaged domain from SXP config text (`xm create`). `source` names the file, for errors. */
  | { readonly op: "domain.create"; readonly config: string; readonly source: string; readonly paused?: boolean }
  /** Store (or replace, when not running) a managed domain (`xm new`). */
  | { readonly op: "domain.new"; readonly config: string; readonly source: string }
  | { readonly op: "domain.delete"; readonly domain: DomainRef }
  | { readonly op: "domain.start"; readonly domain: DomainRef; readonly paused?: boolean }
  | { readonly op: "domain.shutdown"; readonly domain: DomainRef; readonly reason: "poweroff" | "reboot" }
  | { readonly op: "domain.destroy"; readonly domain: DomainRef }
  | { readonly op: "domain.pause"; readonly domain: DomainRef }
  | { readonly op: "domain.unpause"; readonly domain: DomainRef }
  | { readonly op: "domain.sched-credit"; readonly domain: DomainRef; readonly weight?: number; readonly cap?: number }
  | { readonly op: "domain.vcpu-list"; readonly domains?: readonly DomainRef[] }
  | { readonly op: "domain.vcpu-pin"; readonly domain: DomainRef; readonly vcpu: number | "all"; readonly cpus: readonly number[] }
  | { readonly op: "domain.vcpu-set"; readonly domain: DomainRef; readonly vcpus: number }
  | { readonly op: "domain.mem-set"; readonly domain: DomainRef; readonly memoryMiB: number }
  | { readonly op: "domain.mem-max"; readonly domain: DomainRef; readonly maxmemMiB: number }
  /** Plug a disk into a running domain: uname as in a disk= entry (file:/path), the guest's device, r or w. */
  | { readonly op: "domain.block-attach"; readonly domain: DomainRef; readonly uname: string; readonly dev: string; readonly mode: string }
  /** Unplug a disk, named by its device (xvdb) or its number (51728). */
  | { readonly op: "domain.block-detach"; readonly domain: DomainRef; readonly dev: string }
  | { readonly op: "domain.block-list"; readonly domain: DomainRef }
  /** Plug a NIC into a running domain; `settings` as in a vif= entry (mac=…,bridge=br1,rate=…). */
  | { readonly op: "domain.network-attach"; readonly domain: DomainRef; readonly settings: string }
  | { readonly op: "domain.network-detach"; readonly domain: DomainRef; readonly devid: number }
  | { readonly op: "domain.network-list"; readonly domain: DomainRef }
  | { readonly op: "host.info" }
  /** The kernel's log (Xen's hypervisor message buffer); `clear` empties it after reading. */
  | { readonly op: "host.dmesg"; readonly clear?: boolean };

export type XendOp = XendRequest["op"];

/** How `domain.shutdown` asked the domain to stop. */
export interface XendShutdownResult {
  /**
   * "guest": xend wrote control/shutdown in the store and the guest is expected to shut itself
   * down (it may not: xend never forces it); "kernel": the kernel stopped the domain and recorded
   * the reason (HVM domains, or no store to write to).
   */
  readonly via: "guest" | "kernel";
  /** Set when xend fell back to the kernel for a PV domain, saying why. */
  readonly warning?: string;
}

/** What a change that the kernel cannot make to a running domain did instead. */
export interface XendChangeResult {
  /** Set when the change is kept for the domain's next start but not applied now. */
  readonly deferred?: string;
}

// The message protocol between the kernel process and everything else (xend, services, tools).
// Transport: a Unix stream socket; each frame is a u32 little-endian length followed by one
// msgpack-encoded message (msgpackr). Requests carry an id and get exactly one reply with the
// same id; the kernel also pushes events to connections that subscribed. Every message is
// validated where it enters a process (see kernel/host/protocol-check.ts); a malformed one gets
// an error reply and the connection stays up.

export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/**
 * Frames that carry bulk bytes (frames.ts) may be larger: a virtio-blk request may move
 * seg_max x size_max bytes (254 MiB as Domus's disks advertise them) in one descriptor chain.
 */
export const MAX_BULK_FRAME_BYTES = 256 * 1024 * 1024;
export const KERNEL_SOCKET = "run/kernel.sock"; // relative to DOMUS_HOME

export type Builder = "hvm" | "linux";
export type DomainState = "running" | "blocked" | "paused" | "shutdown" | "crashed" | "dying";
export type ShutdownReason = "poweroff" | "reboot" | "suspend" | "crash" | "watchdog";

export interface DomainSpec {
  readonly name: string;
  /** The domain's handle (xend's uuid); the store's `vm` path names it. A random one if absent. */
  readonly uuid?: string;
  readonly builder: Builder;
  readonly memoryMiB: number;
  readonly maxmemMiB: number;
  readonly vcpus: number;
  /** pCPUs the vCPUs may run on (empty: any). */
  readonly cpus: readonly number[];
  /** HVM: M-mode firmware, or null for none. */
  readonly bios: string | null;
  readonly kernel?: string;
  readonly ramdisk?: string;
  readonly extra?: string;
  /** HVM: a simple framebuffer of this size at the top of RAM (its guests find it in the device tree). */
  readonly framebuffer?: { readonly width: number; readonly height: number };
}

export interface DomainInfo {
  readonly domid: number;
  readonly name: string;
  readonly memoryMiB: number;
  readonly maxmemMiB: number;
  readonly vcpus: number;
  /**
   * The vCPUs that are up. A paravirtual guest takes the others down and up itself (SBI HSM),
   * as `cpu/<n>/availability` in its home asks (xm vcpu-set); an HVM guest's firmware keeps its
   * harts itself, so all of them count.
   */
  readonly online: readonly number[];
  readonly state: DomainState;
  /** CPU time used by all vCPUs, in nanoseconds. */
  readonly cpuTimeNs: number;
  readonly weight: number;
  readonly cap: number;
  /** The pCPUs its vCPUs may run on (empty: any). */
  readonly cpus: readonly number[];
  /**
   * The pCPUs of its last slice: one, or one per lane (docs/hypervisor.md), vCPU h on
   * lastCpus[h % lastCpus.length]. Empty until it has run on a pCPU.
   */
  readonly lastCpus: readonly number[];
  /** Why the domain stopped, once it is in state shutdown or crashed. */
  readonly shutdownReason?: ShutdownReason;
}

export type Request =
  | { readonly op: "hello"; readonly version: number }
  | { readonly op: "info" }
  | { readonly op: "domain.create"; readonly spec: DomainSpec; readonly paused?: boolean }
  | { readonly op: "domain.list" }
  | { readonly op: "domain.destroy"; readonly domid: number }
  | { readonly op: "domain.pause"; readonly domid: number }
  | { readonly op: "domain.unpause"; readonly domid: number }
  | { readonly op: "domain.shutdown"; readonly domid: number; readonly reason: "poweroff" | "reboot" }
  | { readonly op: "domain.sched"; readonly domid: number; readonly weight?: number; readonly cap?: number }
  /** The most memory a running PV domain may balloon up to (xm mem-max), within what it was built with; replies DomainInfo. */
  | { readonly op: "domain.maxmem"; readonly domid: number; readonly maxmemMiB: number }
  /** Which pCPUs the domain's vCPUs may run on from now on (empty: any); replies DomainInfo. */
  | { readonly op: "domain.affinity"; readonly domid: number; readonly cpus: readonly number[] }
  /** Give a domain another name (rename-restart moves a stopped domain aside). */
  | { readonly op: "domain.rename"; readonly domid: number; readonly name: string }
  | { readonly op: "console.write"; readonly domid: number; readonly data: Uint8Array }
  | { readonly op: "console.read"; readonly domid: number }
  /**
   * An HVM domain's framebuffer lines written since the last read (all when `full`): replies
   * FramebufferBand. Found through the domain's dirty log.
   */
  | { readonly op: "framebuffer.read"; readonly domid: number; readonly full: boolean }
  /** The last 64 KiB of the console, without attaching (for a screen that draws the console). */
  | { readonly op: "console.tail"; readonly domid: number }
  /**
   * Receive these events from now on (replacing an earlier subscription). `consoles`: console
   * events of these domains only (all when absent), so an idle host's console lines do not wake
   * a subscriber that shows a few of them.
   */
  | { readonly op: "subscribe"; readonly events: readonly EventKind[]; readonly consoles?: readonly number[] }
  | BackendRequest;

/**
 * What a device backend (a service such as blk) asks. After backend.hello the connection serves
 * the devices it attaches: the kernel pushes each virtio request to it as a VirtioRequestFrame and
 * it answers with a VirtioDoneFrame. Requests it has not answered when it goes away are pushed
 * again to the instance that next attaches the same device, so a restarted backend carries on.
 */
export type BackendRequest =
  | { readonly op: "backend.hello"; readonly version: number; readonly instance: string }
  /**
   * A virtio device for a domain's slot (the lowest free one unless given); replies { slot }.
   * `configPages`: the device's config space is paged by select and subsel (virtio-input).
   */
  | {
      readonly op: "device.attach"; readonly domid: number; readonly devid: number; readonly deviceId: number;
      readonly features: number; readonly config: Uint8Array; readonly slot?: number;
      readonly configPages?: readonly VirtioConfigPage[];
    }
  | { readonly op: "device.detach"; readonly domid: number; readonly devid: number }
  /**
   * Serve a PV frontend's shared ring: `ref` is the ring page's grant (to domain 0), `port` the
   * frontend's event channel for domain 0 (unbound, or already serving another ring of the
   * domain: netif's tx and rx rings share one). `ring` tells a device's rings apart (0 for
   * blkif; netif: 0 tx, 1 rx). Bound again by a restarted backend, the ring re-sends what was not
   * answered. Slots are `slotSize` bytes, responses `rspSize`.
   */
  | {
      readonly op: "ring.bind"; readonly domid: number; readonly devid: number; readonly ring: number; readonly ref: number;
      readonly port: number; readonly slotSize: number; readonly rspSize: number;
    }
  | { readonly op: "ring.unbind"; readonly domid: number; readonly devid: number; readonly ring: number }
  /** Copy bytes out of pages the domain granted to domain 0; replies { data }. */
  | { readonly op: "grant.read"; readonly domid: number; readonly segments: readonly GrantSegmentSpec[] }
  /** Copy `data` into pages the domain granted (writable) to domain 0, segment after segment. */
  | { readonly op: "grant.write"; readonly domid: number; readonly segments: readonly GrantSegmentSpec[]; readonly data: Uint8Array }
  /**
   * Take the frontend's event channel `port` (unbound, for domain 0) for device `devid`: the
   * frontend's notifications arrive as EvtchnEventFrames. For devices whose shared page is not an
   * io/ring.h ring (fbif, kbdif): the backend reads and writes the page with grant.read/write.
   */
  | { readonly op: "evtchn.bind"; readonly domid: number; readonly devid: number; readonly port: number }
  | { readonly op: "evtchn.unbind"; readonly domid: number; readonly devid: number }
  /** Send an event to the frontend on the channel bound for `devid`. */
  | { readonly op: "evtchn.notify"; readonly domid: number; readonly devid: number };

/** One page of a paged config space: what the driver reads after writing `select` and `subsel`. */
export interface VirtioConfigPage {
  readonly select: number;
  readonly subsel: number;
  readonly data: Uint8Array;
}

/** At most this many pages in a device's config space, each at most 128 bytes. */
export const MAX_CONFIG_PAGES = 256;

/** Kernel to backend, no id: the frontend notified the channel bound for `devid`. */
export interface EvtchnEventFrame {
  readonly event: "evtchn.event";
  readonly domid: number;
  readonly devid: number;
}

export interface GrantSegmentSpec {
  readonly ref: number;
  readonly offset: number;
  readonly len: number;
}

/** Kernel to backend, no id: new (or re-sent) ring requests, one slot each in `raw`. */
export interface RingRequestsFrame {
  readonly event: "ring.requests";
  readonly domid: number;
  readonly devid: number;
  readonly ring: number;
  /** Each request's ring position, which its answer names. */
  readonly positions: readonly number[];
  readonly raw: Uint8Array;
}

/**
 * Backend to kernel, no id and no reply: answers to the requests at `positions`. `raw` holds the
 * bytes for `copies` (written into granted pages first), then one response per position.
 */
export interface RingRespondFrame {
  readonly op: "ring.respond";
  readonly domid: number;
  readonly devid: number;
  readonly ring: number;
  readonly positions: readonly number[];
  readonly copies: readonly GrantSegmentSpec[];
  readonly raw: Uint8Array;
}

/** Kernel to backend, no id: one descriptor chain; `raw` holds its readable bytes. */
export interface VirtioRequestFrame {
  readonly event: "virtio.request";
  readonly tag: number;
  readonly domid: number;
  readonly devid: number;
  readonly queue: number;
  readonly writable: number;
  readonly raw: Uint8Array;
}

/** Backend to kernel, no id and no reply: the answer to request `tag`; `raw` is scattered into the writable buffers. */
export interface VirtioDoneFrame {
  readonly op: "virtio.done";
  readonly tag: number;
  readonly written: number;
  readonly raw: Uint8Array;
}

export type RequestFrame = Request & { readonly id: number };

/** Lines [y, y + h) of an HVM framebuffer (x8r8g8b8, `stride` bytes a line); h = 0: no change. */
export interface FramebufferBand {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly y: number;
  readonly h: number;
  readonly data: Uint8Array;
}

export interface HostInfo {
  readonly version: number;
  readonly pcpus: number;
  readonly totalMemoryMiB: number;
  readonly freeMemoryMiB: number;
}

export type ReplyFrame =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

export type EventKind = "console" | "domain";

/** Pushed to subscribers; has no id. */
export type EventFrame =
  | { readonly event: "console"; readonly domid: number; readonly data: Uint8Array }
  | { readonly event: "domain"; readonly domid: number; readonly state: DomainState; readonly reason?: ShutdownReason };

/** Credit scheduler defaults (Xen's). */
export const DEFAULT_WEIGHT = 256;
export const MAX_WEIGHT = 65535;
export const DEFAULT_CAP = 0; // 0 = no cap; otherwise percent of one pCPU

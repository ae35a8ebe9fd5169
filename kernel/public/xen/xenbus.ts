// The xenbus device protocol as Xen's io/xenbus.h and the toolstack define it: the states a
// frontend and its backend step through in the store, and where a device's nodes live.

export const XenbusState = {
  Unknown: 0,
  Initialising: 1,
  /** Backend: ready for the frontend's ring details (Xen: "InitWait"). */
  InitWait: 2,
  /** Frontend: ring details published. */
  Initialised: 3,
  Connected: 4,
  Closing: 5,
  Closed: 6,
  Reconfiguring: 7,
  Reconfigured: 8,
} as const;
export type XenbusStateValue = (typeof XenbusState)[keyof typeof XenbusState];

/** Backends serve their devices from Domain-0's home. */
export const BACKEND_DOMID = 0;

/** A device class as the store names it: vbd (block), vif (network), vfb, vkbd, console. */
export type DeviceClass = "vbd" | "vif" | "vfb" | "vkbd" | "console";

export function frontendPath(domid: number, cls: DeviceClass, devid: number): string {
  return `/local/domain/${domid}/device/${cls}/${devid}`;
}

export function backendPath(cls: DeviceClass, domid: number, devid: number, backendDomid = BACKEND_DOMID): string {
  return `/local/domain/${backendDomid}/backend/${cls}/${domid}/${devid}`;
}

/** The node a backend watches for new devices of its class. */
export function backendRoot(cls: DeviceClass, backendDomid = BACKEND_DOMID): string {
  return `/local/domain/${backendDomid}/backend/${cls}`;
}

/**
 * A backend node of Domus's own, besides Xen's: `virtio` = 1 when the frontend is the kernel's
 * virtio device (virtio-blk, virtio-net: HVM guests) rather than a PV ring. Disks also get
 * `format` (raw, qcow2, vmdk, nbd), and every virtio device its `slot` once attached.
 */
export const BACKEND_VIRTIO = "virtio";

/** A vfb backend node of Domus's own: `console` = 1 when the screen shows the guest's console (HVM guests). */
export const VFB_CONSOLE = "console";

/**
 * A vkbd backend node of Domus's own, for HVM guests (with `virtio` = 1): which virtio-input
 * device it is, "keyboard" or "tablet" (vkbd 0 and 1).
 */
export const VKBD_VIRTIO_INPUT = "virtio-input";
export const VIRTIO_INPUT_KINDS = ["keyboard", "tablet"] as const;

/** Xen's VDISK_* bits of a vbd's `info` node. */
export const VDISK_CDROM = 1;
export const VDISK_READONLY = 4;

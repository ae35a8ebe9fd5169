// Screens (classes vfb and vkbd) as xend plugs them in (xenbus-devices.ts): a `vfb=[ 'type=vnc,…' ]`
// entry gives the domain a VNC server. A PV guest gets a vfb (its framebuffer) and a vkbd (its
// keyboard and pointer), and waits for its frontends; an HVM guest has no PV frontends: the
// framebuffer service shows its console as a text screen at once (backend node `console` = 1)
// and its keyboard and tablet are virtio-input devices (vkbd 0 and 1, `virtio` = 1), so xend
// waits for Connected there.

import { XenbusState } from "../../kernel/public/xen/xenbus.js";
import type { VfbSpec } from "../config/vfb.js";
import type { XendSettings } from "./xend-config.js";
import { plugDevices, type DeviceNodes } from "./xenbus-devices.js";
import { BACKEND_VIRTIO, backendPath, VFB_CONSOLE, VIRTIO_INPUT_KINDS, VKBD_VIRTIO_INPUT } from "../../kernel/public/xen/xenbus.js";
import { withStore } from "./store-session.js";

function vfbNodes(vfb: VfbSpec, settings: XendSettings, hvm: boolean): DeviceNodes {
  if (vfb.type !== "vnc") throw new Error("vfb type=sdl needs a display on the host; Domus serves screens over VNC only (type=vnc)");
  const keymap = vfb.keymap ?? settings.keymap ?? "en-us";
  const password = vfb.vncpasswd ?? settings.vncPasswd;
  return {
    devid: 0,
    label: "the screen (vfb 0)",
    backend: [
      ["type", "vnc"], ["vnclisten", vfb.vnclisten ?? settings.vncListen], ["keymap", keymap],
      ...(vfb.vncdisplay === undefined ? [] : [["vncdisplay", String(vfb.vncdisplay)] as const]),
      ...(vfb.vncunused === true ? [["vncunused", "1"] as const] : []),
      ...(hvm ? [[VFB_CONSOLE, "1"] as const] : []),
    ],
    frontend: [],
    ...(password === "" ? {} : { secret: [["vncpasswd", password] as const] }),
  };
}

/** An HVM guest's virtio-input keyboard (vkbd 0) and tablet (vkbd 1). */
const VIRTIO_INPUTS: DeviceNodes[] = VIRTIO_INPUT_KINDS.map((kind, devid) => ({
  devid, label: `the ${kind} (vkbd ${devid})`, backend: [[BACKEND_VIRTIO, "1"], [VKBD_VIRTIO_INPUT, kind]], frontend: [],
}));

/** Plug the domain's screen (the first vfb entry; Xen serves one) and its keyboard and pointer. */
export async function plugScreens(storeSocket: string, domid: number, vfbs: readonly VfbSpec[], settings: XendSettings, hvm: boolean): Promise<void> {
  const vfb = vfbs[0];
  if (vfb === undefined) return;
  await plugDevices(storeSocket, domid, "vfb", [vfbNodes(vfb, settings, hvm)], hvm ? XenbusState.Connected : XenbusState.InitWait);
  if (hvm) await plugDevices(storeSocket, domid, "vkbd", VIRTIO_INPUTS, XenbusState.Connected);
  else await plugDevices(storeSocket, domid, "vkbd", [{ devid: 0, label: "the keyboard (vkbd 0)", backend: [], frontend: [] }], XenbusState.InitWait);
}

/** Where the framebuffer service serves the domain's screen (its backend's `location`), if it does. */
export async function vncLocation(storeSocket: string, domid: number): Promise<string | undefined> {
  return withStore(storeSocket, `the screen of domain ${domid}`, (client) => client.readIfExists(`${backendPath("vfb", domid, 0)}/location`));
}

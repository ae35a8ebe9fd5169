// The framebuffer service's device drivers (Xen's vfb and vkbd backends, qemu-dm's xenfb in Xen)
// under the generic xenbus backend. A vfb makes the domain's screen and serves it on a VNC
// display (backend nodes `display`, `location` and `vnc-port` say where; a restarted service takes
// the same display again); an HVM guest's (`console` = 1)
// is standalone and shows the console; a PV guest's shows the console until its frontend
// publishes the shared page, then the framebuffer, redrawn on the guest's update events. A vkbd
// gives the screen's keys and pointer to the guest: a PV guest's kbdif, or an HVM guest's
// virtio-input keyboard (vkbd 0) and tablet (vkbd 1).

import type { DeviceDriver, DeviceRef, NodeReader, OpenDevice } from "../common/xenbus-backend.js";
import type { KernelPort } from "../common/kernel-port.js";
import { Screen } from "./screen.js";
import { PvFramebuffer, wordsOf } from "./pv-framebuffer.js";
import { VFB_CONSOLE, VKBD_VIRTIO_INPUT } from "../../kernel/public/xen/xenbus.js";
import { PvKeyboard } from "./pv-keyboard.js";
import { DomainScreen, type GuestInputs, type GuestKeys, type GuestPointer, type InputTable, type ScreenServices } from "./domain-screens.js";
import { VirtioKeyboard, VirtioTablet } from "./virtio-input.js";

/** The text screen an HVM console (or a PV guest before its framebuffer) gets. */
export const CONSOLE_WIDTH = 640;
export const CONSOLE_HEIGHT = 400;
/**
 * vfb and vkbd are both device 0 in the store; the kernel names an event channel by the backend
 * instance and a device number, so the keyboard's channel gets its own number.
 */
export const VKBD_CHANNEL_BASE = 1 << 20;

export interface VfbDevice extends OpenDevice {
  readonly domain: DomainScreen;
  /** HVM: the timer that looks for the guest's framebuffer changes. */
  poll?: NodeJS.Timeout;
}

/** How often an HVM guest's framebuffer is looked at: 25 frames a second at most. */
const HVM_POLL_MS = 40;

export interface VkbdDevice extends OpenDevice {
  readonly domid: number;
  /** What it put in the domain's inputs (a PV keyboard once connected). */
  input?: GuestKeys | GuestPointer;
}

/** What the driver asks of the kernel about a guest: its name and its console. */
export interface GuestConsoles {
  name(domid: number): Promise<string>;
  /** The last 64 KiB of the console. */
  consoleTail(domid: number): Promise<Uint8Array>;
  /** Start (or stop) receiving the domain's console output as events. */
  follow(domid: number, on: boolean): Promise<void>;
}

/** The domains' screens, by domain id: the vfb driver makes them, the vkbd driver and the console feed find them. */
export type ScreenTable = Map<number, DomainScreen>;

function positiveInt(text: string | undefined, what: string): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 0) throw new Error(`the frontend's ${what} is missing or not a number`);
  return n;
}

export class VfbDriver implements DeviceDriver<VfbDevice> {
  readonly cls = "vfb";

  constructor(
    private readonly kernel: KernelPort,
    private readonly screens: ScreenTable,
    private readonly inputs: InputTable,
    private readonly services: ScreenServices,
    private readonly guests: GuestConsoles,
    private readonly log: (msg: string) => void,
  ) {
    kernel.onEvtchnEvent((domid, devid) => {
      const domain = this.screens.get(domid);
      if (devid !== 0 || domain?.framebuffer === undefined) return;
      void this.redraw(domain);
    });
  }

  async open(ref: DeviceRef, node: NodeReader, publish: (key: string, value: string) => Promise<void>): Promise<VfbDevice> {
    const [type, listen, display, unused, keymap, password, consoleOnly, served] =
      await Promise.all(["type", "vnclisten", "vncdisplay", "vncunused", "keymap", "vncpasswd", VFB_CONSOLE, "display"].map(node));
    if (type !== "vnc") throw new Error(`a vfb of type ${type ?? "(none)"}: only type=vnc is served`);
    const translator = await this.services.keyboard(keymap ?? "en-us");
    const domain = new DomainScreen(ref.domid, new Screen(CONSOLE_WIDTH, CONSOLE_HEIGHT), translator, this.services, this.inputs);
    const published = await this.services.publish(domain.screen, {
      name: await this.guests.name(ref.domid), listen: listen ?? "127.0.0.1", unused: unused === "1" || served !== undefined,
      // After a restart of this service, the display the screen had, so viewers find it again.
      display: served !== undefined ? Number(served) : display === undefined ? undefined : Number(display), password, input: domain.input,
    });
    domain.published = published;
    // What the console printed before the screen was made; from now on console events follow
    // (asked for first: a line may come twice, but none is missed).
    this.screens.set(ref.domid, domain);
    await this.guests.follow(ref.domid, true);
    domain.console(await this.guests.consoleTail(ref.domid).catch(() => new Uint8Array(0)));
    await publish("display", String(published.display));
    await publish("location", `${published.address}:${published.port}`);
    await publish("vnc-port", String(published.port));
    // Ask the frontend for update events, so the backend draws only what changed.
    if (consoleOnly !== "1") await publish("request-update", "1");
    this.log(`${ref.label}: VNC display :${published.display} on ${published.address}:${published.port}`);
    const dev: VfbDevice = { domain, virtio: undefined, standalone: consoleOnly === "1" };
    if (consoleOnly === "1") dev.poll = this.watchHvmFramebuffer(domain);
    return dev;
  }

  /**
   * An HVM guest's framebuffer (if the kernel gave it one) is read through the domain's dirty
   * log: the lines written since the last look. The screen shows the console until the guest
   * first draws there, then the framebuffer.
   */
  private watchHvmFramebuffer(domain: DomainScreen): NodeJS.Timeout | undefined {
    let busy = false;
    let none = false;
    const timer = setInterval(() => {
      if (busy || none) return;
      busy = true;
      void (async () => {
        try {
          const first = !domain.hvmFramebuffer;
          const band = await this.kernel.framebufferRead(domain.domid, false);
          if (band.h === 0) return;
          const screen = domain.screen;
          if (first) {
            domain.hvmFramebuffer = true;
            screen.resize(band.width, band.height);
            const all = await this.kernel.framebufferRead(domain.domid, true);
            screen.putImage(0, 0, all.width, all.h, wordsOf(all.data), all.stride / 4);
            return;
          }
          screen.putImage(0, band.y, band.width, band.h, wordsOf(band.data), band.stride / 4);
        } catch (e) {
          // No framebuffer (the kernel said so), or the domain is gone: stop looking.
          none = true;
          clearInterval(timer);
          if (!/has no framebuffer|does not exist/.test((e as Error).message)) this.log(`domain ${domain.domid}: framebuffer: ${(e as Error).message}`);
        } finally {
          busy = false;
        }
      })();
    }, HVM_POLL_MS);
    return timer;
  }

  async connect(dev: VfbDevice, ref: DeviceRef, frontend: NodeReader): Promise<void> {
    const pageRef = positiveInt(await frontend("page-ref"), "page-ref");
    const port = positiveInt(await frontend("event-channel"), "event-channel");
    const fb = await PvFramebuffer.open(this.kernel, ref.domid, pageRef);
    dev.domain.screen.resize(fb.mode.width, fb.mode.height);
    dev.domain.framebuffer = fb;
    await fb.draw(dev.domain.screen, 0, fb.mode.height);
    await this.kernel.bindEvtchn(ref.domid, 0, port);
    this.log(`${ref.label}: framebuffer ${fb.mode.width}x${fb.mode.height} connected`);
  }

  private async redraw(domain: DomainScreen): Promise<void> {
    try {
      await domain.framebuffer?.update(domain.screen);
      // Tell the frontend its events were taken (it waits for room in the out ring otherwise).
      await this.kernel.notifyEvtchn(domain.domid, 0);
    } catch (e) {
      this.log(`domain ${domain.domid}: framebuffer: ${(e as Error).message}`);
    }
  }

  async close(dev: VfbDevice, ref: DeviceRef, bound: boolean): Promise<void> {
    clearInterval(dev.poll);
    if (this.screens.get(ref.domid) === dev.domain) {
      this.screens.delete(ref.domid);
      await this.guests.follow(ref.domid, false).catch(() => {});
    }
    if (bound) await this.kernel.unbindEvtchn(ref.domid, 0).catch(() => {});
    await dev.domain.published?.close();
  }
}

export class VkbdDriver implements DeviceDriver<VkbdDevice> {
  readonly cls = "vkbd";

  constructor(private readonly kernel: KernelPort, private readonly inputs: InputTable, private readonly log: (msg: string) => void) {}

  private inputsOf(domid: number): GuestInputs {
    let inputs = this.inputs.get(domid);
    if (inputs === undefined) this.inputs.set(domid, (inputs = {}));
    return inputs;
  }

  async open(ref: DeviceRef, node: NodeReader, publish: (key: string, value: string) => Promise<void>, virtio: boolean): Promise<VkbdDevice> {
    if (!virtio) {
      await publish("feature-abs-pointer", "1");
      return { domid: ref.domid, virtio: undefined };
    }
    const kind = await node(VKBD_VIRTIO_INPUT);
    const inputs = this.inputsOf(ref.domid);
    if (kind === "keyboard") {
      const keyboard = new VirtioKeyboard();
      inputs.keys = keyboard;
      return { domid: ref.domid, virtio: keyboard.device, input: keyboard };
    }
    if (kind === "tablet") {
      const tablet = new VirtioTablet();
      inputs.pointer = tablet;
      return { domid: ref.domid, virtio: tablet.device, input: tablet };
    }
    throw new Error(`${VKBD_VIRTIO_INPUT} must be keyboard or tablet, not ${kind ?? "(none)"}`);
  }

  async connect(dev: VkbdDevice, ref: DeviceRef, frontend: NodeReader): Promise<void> {
    const pageRef = positiveInt(await frontend("page-ref"), "page-ref");
    const port = positiveInt(await frontend("event-channel"), "event-channel");
    await this.kernel.bindEvtchn(ref.domid, VKBD_CHANNEL_BASE + ref.devid, port);
    const keyboard = new PvKeyboard(this.kernel, ref.domid, VKBD_CHANNEL_BASE + ref.devid, pageRef, this.log);
    Object.assign(this.inputsOf(ref.domid), { keys: keyboard, pointer: keyboard });
    dev.input = keyboard;
  }

  async close(dev: VkbdDevice, ref: DeviceRef, bound: boolean): Promise<void> {
    const inputs = this.inputs.get(dev.domid);
    if (inputs !== undefined && dev.input !== undefined) {
      if (inputs.keys === dev.input) delete inputs.keys;
      if (inputs.pointer === dev.input) delete inputs.pointer;
      if (inputs.keys === undefined && inputs.pointer === undefined) this.inputs.delete(dev.domid);
    }
    if (bound) await this.kernel.unbindEvtchn(ref.domid, VKBD_CHANNEL_BASE + ref.devid).catch(() => {});
  }
}

#!/usr/bin/env node
// The framebuffer service process: `node dist/services/vnc/main.js [--home DIR] [--instance NAME]`.
// Serves a VNC display (RFB, and WebSocket for noVNC, on one port) for every domain with a vfb
// in the store; keys and pointer go to the guest's keyboard and pointer (PV, or virtio-input for
// HVM guests), or as text to its console. Talks
// to the kernel on DIR/run/kernel.sock (as a backend, and as a client for console output) and to
// the store on DIR/run/xenstored/socket.

import { KernelClient } from "../../tools/kernel-client.js";
import type { Keymap } from "../../tools/config/keymap.js";
import { KernelPort } from "../common/kernel-port.js";
import { serveClasses, serviceMain } from "../common/service-main.js";
import { AuthLimiter } from "./auth-limiter.js";
import { DisplayInUseError, DisplayPorts } from "./display-ports.js";
import type { InputTable, KeyTranslator, ScreenServices } from "./domain-screens.js";
import { KeyboardTranslator } from "./keyboard.js";
import { KeyLayout } from "./keymap.js";
import { Keysyms } from "./keysyms.js";
import { RfbServer } from "./rfb-server.js";
import { TextScreen } from "./text-screen.js";
import { VncListener } from "./websocket.js";
import { VfbDriver, VkbdDriver, type GuestConsoles, type ScreenTable } from "./vfb-driver.js";

serviceMain("vnc", "Domus framebuffer service: the domains' screens over VNC and WebSocket", async (ctx) => {
  const { home, instance, log } = ctx;
  const kernel = await KernelPort.connect(home, instance, log);
  const consoles = await KernelClient.connect(home);
  const screens: ScreenTable = new Map();
  const inputs: InputTable = new Map();
  const keysyms = await Keysyms.load();
  const layouts = new Map<string, Promise<KeyLayout>>();
  const displays = new Map<string, DisplayPorts>();
  const limiter = new AuthLimiter();

  const services: ScreenServices = {
    async publish(screen, o) {
      let ports = displays.get(o.listen);
      if (ports === undefined) displays.set(o.listen, (ports = new DisplayPorts({ listen: o.listen })));
      let display;
      try {
        display = await ports.acquire(o.display);
      } catch (e) {
        if (!(e instanceof DisplayInUseError) || !o.unused) throw e;
        display = await ports.acquire();
      }
      // Shared: a viewer asking for exclusive access (TigerVNC does) must not end the others' consoles.
      const rfb = new RfbServer({ screen, name: o.name, password: o.password, input: o.input, limiter, shareMode: "force-shared", log });
      new VncListener(rfb, { log }).listenOn(display.server);
      const held = display;
      return {
        display: held.display, port: held.port, address: o.listen,
        close: async () => {
          rfb.close();
          await held.release();
        },
      };
    },
    consoleRenderer: (screen) => new TextScreen(screen),
    typeOnConsole: (domid, bytes) => void consoles.consoleWrite(domid, bytes).catch((e: Error) => log(`domain ${domid}: console: ${e.message}`)),
    async keyboard(keymap): Promise<KeyTranslator> {
      let layout = layouts.get(keymap);
      if (layout === undefined) layouts.set(keymap, (layout = KeyLayout.load(keymap as Keymap, keysyms)));
      return new KeyboardTranslator(await layout);
    },
  };
  // Console output of the domains with a screen (only theirs: an idle host's other consoles
  // should not wake this process), drawn on the screens that show the console.
  const followed = new Set<number>();
  let subscribed = Promise.resolve();
  const guests: GuestConsoles = {
    name: async (domid) => (await consoles.listDomains()).find((d) => d.domid === domid)?.name ?? `domain ${domid}`,
    consoleTail: (domid) => consoles.consoleTail(domid),
    follow(domid, on) {
      if (on) followed.add(domid);
      else followed.delete(domid);
      subscribed = subscribed.catch(() => {}).then(() => consoles.subscribe(["console"], [...followed]));
      return subscribed;
    },
  };
  consoles.onEvent((e) => {
    if (e.event === "console") screens.get(e.domid)?.console(e.data);
  });
  await consoles.subscribe(["console"], []);

  return serveClasses(ctx, kernel, [
    { driver: new VfbDriver(kernel, screens, inputs, services, guests, log), noun: "screen" },
    { driver: new VkbdDriver(kernel, inputs, log), noun: "keyboard" },
  ]);
});

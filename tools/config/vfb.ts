// `vfb=` entries: a paravirtual framebuffer with its keyboard, shown over VNC or in an SDL window
// (manual §6.4), e.g. 'type=vnc,vnclisten=0.0.0.0,vncdisplay=2,keymap=de'.

import { ValueError, show } from "./config-error.js";
import { checkText } from "./names.js";
import { parseKeymap, type Keymap } from "./keymap.js";
import { splitPairs, pairMap, joinPairs, type Pair } from "./pairs.js";

/** VNC servers listen on 5900 + display (manual §6.4), so displays run up to 65535 - 5900. */
export const VNC_BASE_PORT = 5900;
export const MAX_VNC_DISPLAY = 65535 - VNC_BASE_PORT;

export type VfbSpec =
  | {
      readonly type: "vnc";
      /** Address to listen on; xend-config's vnc-listen when absent. */
      readonly vnclisten?: string;
      /** Port 5900 + vncdisplay; the lowest free display when absent (manual §6.4). */
      readonly vncdisplay?: number;
      /** With vncdisplay: take a free display if that one is in use. */
      readonly vncunused?: boolean;
      /** xend-config's vncpasswd when absent. */
      readonly vncpasswd?: string;
      readonly keymap?: Keymap;
    }
  | {
      readonly type: "sdl";
      readonly display?: string;
      readonly xauthority?: string;
      readonly keymap?: Keymap;
    };

const VNC_KEYS = ["type", "vnclisten", "vncdisplay", "vncunused", "vncpasswd", "keymap"] as const;
const SDL_KEYS = ["type", "display", "xauthority", "keymap"] as const;

/** A host name or address to listen on. */
export function checkListenAddress(what: string, text: string): string {
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(text)) throw new ValueError(`${what} ${show(text)} is not a host name or IP address`);
  return text;
}

function parseVncDisplay(text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n > MAX_VNC_DISPLAY) throw new ValueError(`vncdisplay ${show(text)} is not a number from 0 to ${MAX_VNC_DISPLAY}`);
  return n;
}

/** Builds a VfbSpec from key/value pairs, as the config file and SXP both give them. */
export function vfbFromPairs(pairs: readonly Pair[]): VfbSpec {
  const type = pairs.find(([k]) => k === "type")?.[1];
  if (type !== "vnc" && type !== "sdl") {
    throw new ValueError(type === undefined ? "vfb: type=vnc or type=sdl is required" : `vfb: type ${show(type)} is not vnc or sdl`);
  }
  const map = pairMap(`vfb (type=${type})`, pairs, type === "vnc" ? VNC_KEYS : SDL_KEYS);
  for (const [key, value] of map) if (value === "") throw new ValueError(`vfb: ${key} is empty`);
  const keymap = map.has("keymap") ? parseKeymap(map.get("keymap") ?? "") : undefined;
  const text = (key: string): string | undefined => {
    const v = map.get(key);
    return v === undefined ? undefined : checkText(`vfb ${key}`, v);
  };
  if (type === "sdl") {
    return clean({ type, display: text("display"), xauthority: text("xauthority"), keymap });
  }
  const unused = map.get("vncunused");
  if (unused !== undefined && unused !== "0" && unused !== "1") throw new ValueError(`vfb: vncunused ${show(unused)} is not 0 or 1`);
  const listen = map.get("vnclisten");
  const display = map.get("vncdisplay");
  return clean({
    type,
    vnclisten: listen === undefined ? undefined : checkListenAddress("vnclisten", listen),
    vncdisplay: display === undefined ? undefined : parseVncDisplay(display),
    vncunused: unused === undefined ? undefined : unused === "1",
    vncpasswd: text("vncpasswd"),
    keymap,
  });
}

// Leaves out unset settings, so that equal framebuffers compare equal however they were read.
function clean<T extends object>(spec: T): T {
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) as T;
}

/** The settings of a vfb as key/value pairs in a fixed order, for both writers. */
export function vfbPairs(vfb: VfbSpec): [string, string][] {
  const pairs: [string, string | undefined][] =
    vfb.type === "vnc"
      ? [
          ["type", "vnc"], ["vnclisten", vfb.vnclisten], ["vncdisplay", vfb.vncdisplay?.toString()],
          ["vncunused", vfb.vncunused === undefined ? undefined : vfb.vncunused ? "1" : "0"],
          ["vncpasswd", vfb.vncpasswd], ["keymap", vfb.keymap],
        ]
      : [["type", "sdl"], ["display", vfb.display], ["xauthority", vfb.xauthority], ["keymap", vfb.keymap]];
  return pairs.flatMap(([k, v]) => (v === undefined ? [] : [[k, v] as [string, string]]));
}

export function parseVfbEntry(entry: string): VfbSpec {
  return vfbFromPairs(splitPairs("vfb", entry));
}

export function formatVfbEntry(vfb: VfbSpec): string {
  return joinPairs(vfbPairs(vfb));
}

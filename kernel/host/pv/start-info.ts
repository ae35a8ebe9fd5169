// Fills a paravirtual domain's start-info page (kernel/public/xen/start-info.ts).

import {
  START_INFO_MAGIC, SI_MAGIC, SI_NR_PAGES, SI_SHARED_INFO, SI_STORE_MFN, SI_STORE_EVTCHN, SI_CONSOLE_MFN,
  SI_CONSOLE_EVTCHN, SI_MOD_START, SI_MOD_LEN, SI_CMD_LINE, MAX_GUEST_CMDLINE, START_INFO_SIZE,
} from "../../public/xen/start-info.js";
import type { PvLayout } from "./pv-layout.js";

export interface StartInfoParams {
  readonly layout: PvLayout;
  readonly consoleEvtchn: number;
  readonly storeEvtchn: number;
  readonly cmdline: string;
  readonly module?: { readonly start: number; readonly length: number };
}

export function startInfoPage(p: StartInfoParams): Uint8Array {
  const page = new Uint8Array(START_INFO_SIZE);
  const v = new DataView(page.buffer);
  page.set(new TextEncoder().encode(START_INFO_MAGIC), SI_MAGIC);
  v.setBigUint64(SI_NR_PAGES, BigInt(p.layout.bootPages), true);
  v.setBigUint64(SI_SHARED_INFO, BigInt(p.layout.sharedInfo), true);
  v.setBigUint64(SI_STORE_MFN, BigInt(p.layout.xenstore / 4096), true);
  v.setUint32(SI_STORE_EVTCHN, p.storeEvtchn, true);
  v.setBigUint64(SI_CONSOLE_MFN, BigInt(p.layout.console / 4096), true);
  v.setUint32(SI_CONSOLE_EVTCHN, p.consoleEvtchn, true);
  if (p.module !== undefined) {
    v.setBigUint64(SI_MOD_START, BigInt(p.module.start), true);
    v.setBigUint64(SI_MOD_LEN, BigInt(p.module.length), true);
  }
  const cmd = new TextEncoder().encode(p.cmdline);
  if (cmd.length >= MAX_GUEST_CMDLINE) throw new Error(`the command line is ${cmd.length} bytes; at most ${MAX_GUEST_CMDLINE - 1} fit`);
  page.set(cmd, SI_CMD_LINE);
  return page;
}

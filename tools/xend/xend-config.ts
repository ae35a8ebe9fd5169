// xend reads DOMUS_HOME/xend-config.sxp (manual §4.2) once at start, as Xen's xend does ("the
// settings take effect the next time xend starts"). The file's grammar and defaults are
// tools/config/xend-config.ts; here only the policy: a missing file means the defaults, and a
// broken one is logged with its line and the defaults are used, so a typo cannot keep the
// toolstack from starting.

import { readFileSync } from "node:fs";
import { parseXendConfig, XEND_DEFAULTS, type XendConfig } from "../config/xend-config.js";
import { ConfigError } from "../config/config-error.js";

export type XendSettings = XendConfig;

export function readXendConfig(path: string, log: (msg: string) => void): XendSettings {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return XEND_DEFAULTS;
  }
  try {
    return parseXendConfig(text, path);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log(`${e.message}; using the default settings`);
    return XEND_DEFAULTS;
  }
}

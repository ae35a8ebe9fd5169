// `domus demo` (what `npm start` runs): a Domus host with demo guests, on embedded defaults
// (DOMUS_HOME, local files, the internal bridge br0, no root). It starts the host if it is not
// running, creates an HVM guest (OpenSBI + U-Boot from Debian, with a sparse disk under
// DOMUS_HOME/images/demo-uboot/ and a NIC on br0) and a paravirtual minios if they are not
// running, and puts U-Boot's console on this terminal. Ctrl-] detaches; the host keeps running.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDomainImage, domainImagePath } from "./image/domain-image.js";
import { projectRoot } from "../kernel/host/project-root.js";
import { homePaths } from "./lib/home.js";
import { pidFileState } from "./supervisor/pidfile.js";
import { SUPERVISOR_MARKER } from "./supervisor/services.js";
import { up } from "./supervisor/up.js";
import { XendClient } from "./xm/xend-client.js";
import { xmMain } from "./xm/cli.js";
import { OPENSBI_FW_JUMP, UBOOT_SMODE } from "./debian-firmware.js";

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** The demo disk's size: room for a FAT file system to try `virtio` commands on. */
const DEMO_DISK_BYTES = 64 * 1024 * 1024;

function demoConfigs(disk: string): Record<string, string> {
  const minios = join(projectRoot(), "guests/minios/minios.elf");
  return {
    "demo-uboot": [
      `name = "demo-uboot"`, `builder = "hvm"`, `memory = 128`,
      `bios = "${OPENSBI_FW_JUMP}"`, `kernel = "${UBOOT_SMODE}"`,
      `disk = [ "file:${disk},xvda,w" ]`, `vif = [ "bridge=br0" ]`, "",
    ].join("\n"),
    "demo-minios": [
      `name = "demo-minios"`, `builder = "linux"`, `memory = 16`,
      `kernel = "${minios}"`, `extra = "mode=idle tick=10000 name=demo-minios"`, "",
    ].join("\n"),
  };
}

export async function demo(home: string): Promise<number> {
  const paths = homePaths(home);
  if (pidFileState(paths.supervisorPid, SUPERVISOR_MARKER).kind !== "alive") {
    const r = await up(home, say);
    if (r.code !== 0) return r.code;
  }
  const dir = join(home, "demo");
  mkdirSync(dir, { recursive: true });
  const xend = await XendClient.connect(home);
  let running: Set<string>;
  try {
    running = new Set((await xend.list()).filter((d) => d.domid !== null).map((d) => d.name));
  } finally {
    xend.close();
  }
  // Made once, sparse, as the manual's file: disks are (under the host's own images/ folder).
  const disk = domainImagePath(home, "demo-uboot");
  if (!existsSync(disk)) await createDomainImage(home, "demo-uboot", DEMO_DISK_BYTES);
  for (const [name, text] of Object.entries(demoConfigs(disk))) {
    if (running.has(name)) continue;
    const file = join(dir, `${name}.cfg`);
    writeFileSync(file, text);
    const code = await xmMain(["--home", home, "create", file]);
    if (code !== 0) return code;
  }
  say(`Domus is running in ${home}. The console of demo-uboot follows (Ctrl-] detaches; then try`);
  say(`\`npx xm --home ${home} list\`, \`npx xm --home ${home} console demo-minios\`, \`npx domus down --home ${home}\`).`);
  return xmMain(["--home", home, "console", "demo-uboot"]);
}

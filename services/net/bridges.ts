// The host's bridges, made when a NIC first names one (br0 always exists): each has its socket
// for host programs (QEMU's stream framing, run/net/<name>.sock) and, when xend-config.sxp says
// (network-script 'network-bridge bridge=<name>'), an uplink to the host through passt, as Xen's
// network-bridge script puts the host's interface on xenbr0.

import { join } from "node:path";
import { Bridge } from "./bridge.js";
import { StreamListener } from "./stream-socket.js";
import { UplinkPort } from "./uplink-port.js";
import { DEFAULT_BRIDGE } from "../../kernel/public/net-protocol.js";
import type { BridgeTable } from "./netback.js";

/** The bridge `network-script` gives an uplink, or none. Xen: 'network-bridge netdev=eth0 bridge=xenbr0'. */
export function uplinkBridge(networkScript: string): string | undefined {
  const [script, ...args] = networkScript.trim().split(/\s+/);
  if (script !== "network-bridge") return undefined;
  const named = args.find((a) => a.startsWith("bridge="));
  return named === undefined ? DEFAULT_BRIDGE : named.slice("bridge=".length);
}

export class Bridges implements BridgeTable {
  private readonly bridges = new Map<string, Promise<Bridge>>();
  private readonly listeners: StreamListener[] = [];
  private readonly uplinks: UplinkPort[] = [];

  constructor(private readonly runDir: string, private readonly uplinkOn: string | undefined, private readonly log: (msg: string) => void) {}

  get(name: string): Promise<Bridge> {
    let made = this.bridges.get(name);
    if (made === undefined) {
      made = this.make(name);
      this.bridges.set(name, made);
      made.catch(() => this.bridges.delete(name));
    }
    return made;
  }

  async all(): Promise<Bridge[]> {
    return Promise.all([...this.bridges.values()]);
  }

  private async make(name: string): Promise<Bridge> {
    const bridge = new Bridge(name);
    this.listeners.push(await StreamListener.listen(bridge, join(this.runDir, `${name}.sock`), { log: this.log }));
    if (name === this.uplinkOn) {
      const uplink = new UplinkPort(bridge, join(this.runDir, `${name}-uplink`), this.log);
      uplink.attach();
      this.uplinks.push(uplink);
      this.log(`${name}: uplink to the host through passt, one per guest`);
    }
    this.log(`bridge ${name} up (${bridge.mac})`);
    return bridge;
  }

  async close(): Promise<void> {
    for (const u of this.uplinks) await u.stop().catch(() => {});
    for (const l of this.listeners) await l.close().catch(() => {});
  }
}

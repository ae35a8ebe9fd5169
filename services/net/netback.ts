// The network service's device driver (Xen's netback), under the generic xenbus backend
// (services/common/xenbus-backend.ts): a NIC is a port vif<domid>.<n> on the bridge its `bridge`
// node names, with its `rate` limit on what the guest sends. An HVM guest's NIC is served as
// virtio-net, a PV guest's through its netif tx and rx rings.

import type { DeviceDriver, DeviceRef, NodeReader, OpenDevice } from "../common/xenbus-backend.js";
import type { KernelPort } from "../common/kernel-port.js";
import { NETIF_RX_RING, NETIF_TX_RING } from "../../kernel/public/xen/netif.js";
import { parseMac } from "../../tools/config/mac.js";
import { newCounters, type Port, type PortCounters } from "./port.js";
import type { Bridge, BridgeLink } from "./bridge.js";
import { CreditScheduler } from "./rate-limit.js";
import { VirtioNet, type NicEvents } from "./virtio-net.js";
import { NetifServer } from "./netif.js";

/** A guest's NIC on the bridge: frames out of the bridge go to the guest through `toGuest`. */
class VifPort implements Port {
  readonly counters: PortCounters = newCounters();
  toGuest: ((frame: Uint8Array) => void) | undefined;

  constructor(readonly name: string) {}

  deliver(frame: Uint8Array): void {
    if (this.toGuest === undefined) this.counters.txDropped++;
    else this.toGuest(frame);
  }
}

export interface Vif extends OpenDevice {
  readonly port: VifPort;
  readonly bridge: Bridge;
  readonly link: BridgeLink;
  readonly events: NicEvents;
  readonly virtio: VirtioNet | undefined;
}

/** Bridges by name, made when a NIC first names one. */
export interface BridgeTable {
  get(name: string): Promise<Bridge>;
}

export class NetDriver implements DeviceDriver<Vif> {
  readonly cls = "vif";

  constructor(private readonly kernel: KernelPort, private readonly bridges: BridgeTable, private readonly log: (msg: string) => void) {}

  async open(ref: DeviceRef, node: NodeReader, publish: (key: string, value: string) => Promise<void>, virtio: boolean): Promise<Vif> {
    const [macText, bridgeName, rateText] = await Promise.all(["mac", "bridge", "rate"].map(node));
    if (macText === undefined || bridgeName === undefined) throw new Error("the NIC's mac or bridge node is missing");
    const mac = Uint8Array.from(parseMac(macText));
    const limiter = rateText === undefined ? undefined : creditOf(rateText);
    const bridge = await this.bridges.get(bridgeName);
    const port = new VifPort(`vif${ref.domid}.${ref.devid}`);
    const link = bridge.attach(port);
    const events: NicEvents = {
      transmit: (frame) => link.input(frame),
      toGuest: (frame, delivered) => {
        if (!delivered) { port.counters.txDropped++; return; }
        port.counters.txPackets++;
        port.counters.txBytes += frame.length;
      },
      delayMs: (bytes) => limiter?.take(bytes, performance.now()) ?? 0,
      malformed: (why) => {
        port.counters.rxErrors++;
        // Only the first ten are logged: a broken guest repeats itself.
        if (port.counters.rxErrors <= 10) this.log(`${port.name}: dropped what the guest sent: ${why}`);
      },
    };
    if (!virtio) {
      // netback's features: receive by copy (the only way, no page flipping), one slot per packet.
      for (const [k, v] of [["feature-rx-copy", "1"], ["feature-rx-flip", "0"], ["feature-sg", "0"]]) await publish(k, v);
    }
    const nic = virtio ? new VirtioNet(mac, events) : undefined;
    port.toGuest = nic === undefined ? undefined : (frame) => nic.deliver(frame);
    this.log(`${ref.label}: ${port.name} (${macText}) on ${bridgeName}${rateText === undefined ? "" : `, rate ${rateText}`}`);
    return { port, bridge, link, events, virtio: nic };
  }

  async connect(vif: Vif, ref: DeviceRef, frontend: NodeReader): Promise<void> {
    const [tx, rx, channel, rxCopy] = await Promise.all(["tx-ring-ref", "rx-ring-ref", "event-channel", "request-rx-copy"].map(frontend));
    const txRef = Number(tx);
    const rxRef = Number(rx);
    const port = Number(channel);
    if (![txRef, rxRef, port].every((n) => Number.isInteger(n) && n >= 0) || port === 0) {
      throw new Error("the frontend's tx-ring-ref, rx-ring-ref or event-channel is missing or not a number");
    }
    if (rxCopy !== "1") throw new Error("the frontend does not request-rx-copy; page flipping is not supported");
    const server = new NetifServer(ref.domid, ref.devid, this.kernel, vif.events, (msg) => this.log(msg));
    vif.serveRing = (frame) => void server.serve(frame);
    vif.port.toGuest = (frame) => server.deliver(frame);
    await this.kernel.bindRing({ domid: ref.domid, devid: ref.devid, ring: NETIF_TX_RING, ref: txRef, port, slotSize: NetifServer.txSlotSize, rspSize: NetifServer.txRspSize });
    await this.kernel.bindRing({ domid: ref.domid, devid: ref.devid, ring: NETIF_RX_RING, ref: rxRef, port, slotSize: NetifServer.rxSlotSize, rspSize: NetifServer.rxRspSize });
  }

  async close(vif: Vif, ref: DeviceRef, bound: boolean): Promise<void> {
    vif.port.toGuest = undefined;
    vif.link.detach();
    if (bound) {
      await this.kernel.unbindRing(ref.domid, ref.devid, NETIF_TX_RING).catch(() => {});
      await this.kernel.unbindRing(ref.domid, ref.devid, NETIF_RX_RING).catch(() => {});
    }
  }
}

/** The backend's `rate` node: "bytes-per-window,window-us", as xend writes it. */
function creditOf(text: string): CreditScheduler {
  const m = /^(\d{1,15}),(\d{1,15})$/.exec(text);
  if (m === null || Number(m[1]) === 0 || Number(m[2]) === 0) throw new Error(`rate "${text}" is not BYTES,WINDOW-US (both above 0)`);
  const windowUs = Number(m[2]);
  return new CreditScheduler({ bytesPerSecond: (Number(m[1]) * 1e6) / windowUs, windowUs }, performance.now());
}

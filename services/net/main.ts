#!/usr/bin/env node
// The network service process: `node dist/services/net/main.js [--home DIR] [--instance NAME]`.
// Serves the NICs the store lists under Domain-0's backend/vif, on the host's bridges; host
// programs plug into a bridge at DIR/run/net/<bridge>.sock; DIR/run/net/control.sock answers
// `domus brctl` and `domus net`. Talks to the kernel on DIR/run/kernel.sock and to the store on
// DIR/run/xenstored/socket.

import { join } from "node:path";
import { homePaths } from "../../tools/lib/home.js";
import { serveFrames } from "../../tools/lib/frame-server.js";
import { readXendConfig } from "../../tools/xend/xend-config.js";
import { DEFAULT_BRIDGE, NET_CONTROL_SOCKET, NET_RUN_DIR } from "../../kernel/public/net-protocol.js";
import { KernelPort } from "../common/kernel-port.js";
import { serveClasses, serviceMain } from "../common/service-main.js";
import { NetDriver } from "./netback.js";
import { Bridges, uplinkBridge } from "./bridges.js";
import { NetControl } from "./control.js";

serviceMain("net", "Domus network service: bridges and the virtual NICs of one host's domains", async (ctx) => {
  const { home, instance, log } = ctx;
  const settings = readXendConfig(homePaths(home).xendConfig, log);
  const bridges = new Bridges(join(home, NET_RUN_DIR), uplinkBridge(settings.networkScript), log);
  await bridges.get(DEFAULT_BRIDGE);
  const control = new NetControl(bridges);
  const server = await serveFrames(join(home, NET_CONTROL_SOCKET), (m) => control.handle(m), log);
  const kernel = await KernelPort.connect(home, instance, log);
  const stopBackend = await serveClasses(ctx, kernel, [{ driver: new NetDriver(kernel, bridges, log), noun: "network interface" }]);
  return async () => {
    server.close();
    await control.close();
    await stopBackend();
    await bridges.close();
  };
});

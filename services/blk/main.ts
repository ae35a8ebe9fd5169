#!/usr/bin/env node
// The block service process: `node dist/services/blk/main.js [--home DIR] [--instance NAME]`.
// Serves the virtual disks that the store lists under Domain-0's backend/vbd; talks to the kernel
// on DIR/run/kernel.sock and to the store on DIR/run/xenstored/socket. Every answered write is
// already in its image when it stops.

import { KernelPort } from "../common/kernel-port.js";
import { serveClasses, serviceMain } from "../common/service-main.js";
import { BlockDriver } from "./blkback.js";

serviceMain("blk", "Domus block service: virtual disks for the domains of one host", async (ctx) => {
  const kernel = await KernelPort.connect(ctx.home, ctx.instance, ctx.log);
  return serveClasses(ctx, kernel, [{ driver: new BlockDriver(kernel, ctx.log), noun: "disk" }]);
});

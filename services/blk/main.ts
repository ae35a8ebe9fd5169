#!/usr/bin/env node
// The block service process: `node dist/services/blk/main.js [--home DIR] [--instance NAME]`.
// Serves the virtual disks that the store lists under Domain-0's backend/vbd; talks to the kernel
// on DIR/run/kernel.sock and to the store on DIR/run/xenstored/socket. Every answered write is
// already in its image when it stops.

import { storeSocketOf } from "../../tools/xend/store-session.js";
import { backendRoot } from "../../kernel/public/xen/xenbus.js";
import { KernelPort } from "../common/kernel-port.js";
import { StoreLink } from "../common/store-link.js";
import { XenbusBackend } from "../common/xenbus-backend.js";
import { serviceMain } from "../common/service-main.js";
import { BlockDriver, type Vbd } from "./blkback.js";

serviceMain("blk", "Domus block service: virtual disks for the domains of one host", async ({ home, instance, log }) => {
  const kernel = await KernelPort.connect(home, instance, log);
  let backend: XenbusBackend<Vbd> | undefined;
  const store = new StoreLink(storeSocketOf(home), [[backendRoot("vbd"), "vbd"]], () => backend?.changed(), log);
  backend = new XenbusBackend(new BlockDriver(kernel, log), "disk", kernel, store, log);
  kernel.onClose((why) => {
    log(`${why.message}: stopping`);
    process.exit(1);
  });
  await store.start();
  backend.changed();
  return async () => {
    store.stop();
    await backend?.close();
  };
});

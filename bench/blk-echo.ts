// The socket path alone, for bench/blk.ts: `node dist/bench/blk-echo.js HOME`. It connects to
// HOME/run/kernel.sock with the block service's own kernel connection (services/common/kernel-port.ts:
// backend.hello, virtio.request in, virtio.done out) and answers every request at once, without an
// image: a read gets zeros and status OK, a write just status OK. What the block service adds on
// top of this is its own work (virtio-blk decoding, the raw image, node:fs).

import { VIRTIO_ID_BLOCK } from '../kernel/public/virtio-slot.js';
import { KernelPort } from '../services/common/kernel-port.js';

const home = process.argv[2];
if (home === undefined) {
  process.stderr.write('usage: node dist/bench/blk-echo.js HOME\n');
  process.exit(2);
}
const log = (msg: string): void => void process.stderr.write(`blk-echo: ${msg}\n`);
const kernel = await KernelPort.connect(home, 'blk-echo', log);
// All zeros, so its last byte (the status of any answer cut from it) is 0 = OK. Never changed,
// so every answer can share it.
let zeros = new Uint8Array(64 * 1024 + 1);
kernel.onRequest((req) => {
  if (req.writable > zeros.length) zeros = new Uint8Array(req.writable);
  kernel.done(req.tag, req.writable, zeros.subarray(0, req.writable));
});
kernel.onClose(() => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
// Ready: say so the way the service does, by attaching a device (the benchmark sends requests
// only after that; requests arriving with hello's reply would find no handler yet).
await kernel.attach({ domid: 1, devid: 51712, deviceId: VIRTIO_ID_BLOCK, features: 0n, config: new Uint8Array(24) });

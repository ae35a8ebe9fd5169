// The far end of bench/blk.ts's plain Unix socket: `node dist/bench/blk-plain.js SOCKET IN OUT`.
// It connects to SOCKET and, for every IN bytes it reads, writes OUT bytes: with IN = 64 KiB and
// OUT = 1 it takes a disk write's data and says it is done; with IN = 1 and OUT = 64 KiB it
// answers a one-byte request with a disk read's data. No framing either way: the ceiling for any
// backend that moves its data over a Unix socket. As a backend does (frames.ts, ReadBuffers), it
// reads with net.connect's `onread`, here into one buffer it reuses (it only counts the bytes).

import { connect } from 'node:net';

const [path, ...sizes] = process.argv.slice(2);
const [inBytes, outBytes] = sizes.map(Number);
if (path === undefined || ![inBytes, outBytes].every((n) => Number.isSafeInteger(n) && n > 0)) {
  process.stderr.write('usage: node dist/bench/blk-plain.js SOCKET IN OUT\n');
  process.exit(2);
}
/** What it writes for each IN bytes; never changed, so every answer can be this buffer. */
const answer = Buffer.alloc(outBytes);
/** Bytes read towards the next IN. */
let partial = 0;
const socket = connect({
  path,
  onread: {
    buffer: Buffer.allocUnsafe(4 * 1024 * 1024),
    callback: (n) => {
      partial += n;
      const whole = Math.floor(partial / inBytes);
      partial -= whole * inBytes;
      if (whole > 0) {
        socket.cork();
        for (let i = 0; i < whole; i++) socket.write(answer);
        socket.uncork();
      }
      return true;
    },
  },
});
socket.on('error', (e) => {
  process.stderr.write(`blk-plain: ${e.message}\n`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

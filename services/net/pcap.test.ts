import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bridge } from "./bridge.js";
import { MAX_PENDING_BYTES, PcapWriter, pcapFileHeader, startCapture } from "./pcap.js";
import { newCounters, type Port } from "./port.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "domus-pcap-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Fields of every frame in a capture, as Debian's tshark reads them. */
async function tshark(file: string, fields: string[]): Promise<string[][]> {
  const args = ["-r", file, "-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=|", ...fields.flatMap((f) => ["-e", f])];
  const { stdout } = await promisify(execFile)("tshark", args).catch((e: Error) => {
    throw new Error(`tshark failed (apt-get install tshark): ${e.message}`);
  });
  return stdout.trim().split("\n").map((l) => l.split("|"));
}

class SinkPort implements Port {
  readonly counters = newCounters();
  constructor(readonly name: string) {}
  deliver(): void {}
}

const A = [0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a];
const B = [0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b];
const IP_A = [10, 0, 0, 1];
const IP_B = [10, 0, 0, 2];

function checksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

const u16 = (v: number) => [v >> 8, v & 0xff];

function arp(op: 1 | 2, srcMac: number[], srcIp: number[], dstMac: number[], dstIp: number[]): Uint8Array {
  const ethDst = op === 1 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : dstMac;
  return Uint8Array.from([...ethDst, ...srcMac, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, op, ...srcMac, ...srcIp, ...(op === 1 ? [0, 0, 0, 0, 0, 0] : dstMac), ...dstIp]);
}

function echo(type: 8 | 0, srcMac: number[], srcIp: number[], dstMac: number[], dstIp: number[]): Uint8Array {
  const payload = [...Buffer.from("domus ping")];
  const icmp = [type, 0, 0, 0, ...u16(0x1234), ...u16(1), ...payload];
  icmp.splice(2, 2, ...u16(checksum(icmp)));
  const ip = [0x45, 0, ...u16(20 + icmp.length), 0, 1, 0, 0, 64, 1, 0, 0, ...srcIp, ...dstIp];
  ip.splice(10, 2, ...u16(checksum(ip)));
  return Uint8Array.from([...dstMac, ...srcMac, 0x08, 0x00, ...ip, ...icmp]);
}

describe("pcap files", () => {
  it("start with libpcap's header: microsecond magic, version 2.4, snaplen 65535, Ethernet", () => {
    expect([...pcapFileHeader()]).toEqual([
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ]);
  });

  it("capture a bridge's ARP and ICMP exchange so that tshark reads it back", async () => {
    const bridge = new Bridge("xenbr0");
    const a = bridge.attach(new SinkPort("vif1.0"));
    const b = bridge.attach(new SinkPort("vif2.0"));
    let t = 1_700_000_000_000;
    const file = join(dir, "bridge.pcap");
    const capture = await startCapture(bridge, file, { clock: () => (t += 1.25) });
    a.input(arp(1, A, IP_A, B, IP_B));
    b.input(arp(2, B, IP_B, A, IP_A));
    a.input(echo(8, A, IP_A, B, IP_B));
    b.input(echo(0, B, IP_B, A, IP_A));
    a.input(new Uint8Array(8)); // a runt: dropped by the bridge, never captured
    await capture.stop();
    expect(capture.packets).toBe(4);

    const rows = await tshark(file, ["frame.time_epoch", "frame.protocols", "eth.src", "eth.dst", "arp.opcode", "icmp.type", "ip.checksum.status", "icmp.checksum.status"]);
    // Checksum status 1: tshark found the IP and ICMP checksums good.
    expect(rows).toEqual([
      ["1700000000.001250000", "eth:ethertype:arp", "00:16:3e:00:00:0a", "ff:ff:ff:ff:ff:ff", "1", "", "", ""],
      ["1700000000.002500000", "eth:ethertype:arp", "00:16:3e:00:00:0b", "00:16:3e:00:00:0a", "2", "", "", ""],
      ["1700000000.003750000", "eth:ethertype:ip:icmp:data", "00:16:3e:00:00:0a", "00:16:3e:00:00:0b", "", "8", "1", "1"],
      ["1700000000.005000000", "eth:ethertype:ip:icmp:data", "00:16:3e:00:00:0b", "00:16:3e:00:00:0a", "", "0", "1", "1"],
    ]);
  });

  it("capture one port's frames, in one direction if asked", async () => {
    const bridge = new Bridge("xenbr0");
    const a = bridge.attach(new SinkPort("vif1.0"));
    const b = bridge.attach(new SinkPort("vif2.0"));
    const toB = join(dir, "to-vif2.pcap");
    const both = join(dir, "vif2.pcap");
    const out = await startCapture(bridge, toB, { port: "vif2.0", direction: "out" });
    const all = await startCapture(bridge, both, { port: "vif2.0" });
    a.input(arp(1, A, IP_A, B, IP_B));
    b.input(arp(2, B, IP_B, A, IP_A));
    a.input(echo(8, A, IP_A, B, IP_B));
    b.input(echo(0, B, IP_B, A, IP_A));
    await Promise.all([out.stop(), all.stop()]);
    expect((await tshark(toB, ["eth.src"])).flat()).toEqual(["00:16:3e:00:00:0a", "00:16:3e:00:00:0a"]);
    expect((await tshark(both, ["eth.src"])).flat()).toEqual(["00:16:3e:00:00:0a", "00:16:3e:00:00:0b", "00:16:3e:00:00:0a", "00:16:3e:00:00:0b"]);
  });

  it("drop frames rather than queue without bound when the disk is behind", async () => {
    const file = join(dir, "burst.pcap");
    const writer = await PcapWriter.create(file);
    const frame = new Uint8Array(1500);
    let written = 0;
    for (let i = 0; i < 5000; i++) if (writer.write(frame, 0)) written++;
    await writer.close();
    expect(writer.dropped).toBe(5000 - written);
    expect(written).toBeLessThanOrEqual(Math.ceil(MAX_PENDING_BYTES / 1516));
    expect((await readFile(file)).length).toBe(24 + written * (16 + 1500));
  });

  it("name the file they cannot create", async () => {
    await expect(PcapWriter.create(join(dir, "no", "such.pcap"))).rejects.toThrow(/cannot write the capture file .*no\/such\.pcap: ENOENT/);
  });
});

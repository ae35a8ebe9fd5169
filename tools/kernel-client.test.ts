import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { KernelClient, kernelSocketPath, parseDomainInfo, parseEvent } from "./kernel-client.js";
import { ProtocolViolation } from "./lib/frame-connection.js";
import { encodeFrame, FrameReader } from "../kernel/public/frames.js";
import { PROTOCOL_VERSION } from "../kernel/public/protocol.js";

const info = {
  domid: 3, name: "vm1", memoryMiB: 128, maxmemMiB: 128, vcpus: 2, online: [0], state: "blocked",
  cpuTimeNs: 5e9, weight: 256, cap: 0, cpus: [0, 1], lastCpus: [1],
};

describe("kernel replies and events are checked", () => {
  it("accepts what the protocol defines", () => {
    expect(parseDomainInfo(info, "d")).toEqual(info);
    expect(parseDomainInfo({ ...info, state: "shutdown", shutdownReason: "reboot" }, "d").shutdownReason).toBe("reboot");
    expect(parseEvent({ event: "domain", domid: 1, state: "crashed", reason: "crash" })).toEqual({ event: "domain", domid: 1, state: "crashed", reason: "crash" });
    expect(parseEvent({ event: "console", domid: 1, data: new Uint8Array([65]) })).toMatchObject({ event: "console", domid: 1 });
  });

  it("names the field that is wrong", () => {
    expect(() => parseDomainInfo({ ...info, state: "asleep" }, "domain.list[0]")).toThrow("domain.list[0].state must be one of");
    expect(() => parseEvent({ event: "console", domid: 1, data: "A" })).toThrow("event.data must be bytes");
    expect(() => parseDomainInfo({ ...info, cpus: [0, -1] }, "d")).toThrow("d.cpus[1] must be a whole number from 0");
    expect(() => parseDomainInfo({ ...info, online: undefined }, "d")).toThrow("d.online must be a list");
  });

  it("throws only ProtocolViolation on anything else", () => {
    const field = fc.oneof(fc.anything(), fc.constantFrom("running", "poweroff", "console", "domain"), fc.integer(), fc.uint8Array({ maxLength: 4 }));
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...Object.keys(info), "shutdownReason", "event", "data", "reason"), field), (o) => {
      for (const parse of [() => parseDomainInfo({ ...info, ...o }, "d"), () => parseEvent(o)]) {
        try {
          parse();
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolViolation);
        }
      }
    }), { numRuns: 3000 });
  });
});

describe("a console attached to a running domain", () => {
  it("shows output the kernel sends in the same read as the history, once and in order", async () => {
    const home = mkdtempSync(join(tmpdir(), "domus-console-"));
    const path = kernelSocketPath(home);
    mkdirSync(dirname(path), { recursive: true });
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    // A kernel that prints a line right after answering console.read, in one write: the client
    // reads the reply and the event together.
    const server = createServer((socket: Socket) => {
      const reader = new FrameReader();
      socket.on("data", (chunk) => {
        for (const m of reader.push(chunk) as { op: string; id: number }[]) {
          const reply = (result: unknown): Buffer => encodeFrame({ id: m.id, ok: true, result });
          if (m.op === "hello") socket.write(reply({ version: PROTOCOL_VERSION }));
          else if (m.op === "console.read") {
            socket.write(Buffer.concat([reply(text("booting\n")), encodeFrame({ event: "console", domid: 7, data: text("ready\n") })]));
          } else socket.write(reply(null));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const kernel = await KernelClient.connect(home);
    try {
      let shown = "";
      await kernel.subscribe(["console"], [7]);
      await kernel.consoleAttach(7, (data) => { shown += new TextDecoder().decode(data); });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(shown).toBe("booting\nready\n");
    } finally {
      kernel.close();
      server.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

// The host's memory is a budget, as Xen's free frames are: a domain is built only if the host
// has its memory free, and a balloon grows only into pages the host has free. Nothing is
// overcommitted, whatever the guest asks.

import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { Hypervisor } from "../../kernel/host/hypervisor.js";
import { Machine } from "../../kernel/host/machine.js";
import type { DomainSpec } from "../../kernel/public/protocol.js";
import { MINIOS } from "../support/guest-images.js";

const BALLOON_PROBE = fileURLToPath(new URL("../../guests/isa/bin/probe_pv_balloon.elf", import.meta.url));

function minios(name: string, memoryMiB: number, maxmemMiB = memoryMiB): DomainSpec {
  return { name, builder: "linux", memoryMiB, maxmemMiB, vcpus: 1, cpus: [], bios: null, kernel: MINIOS, extra: "mode=idle" };
}

describe("the host's memory", () => {
  it("builds a domain only from free memory, and frees it when the domain goes", () => {
    const hv = new Hypervisor({ console: () => {}, domain: () => {} }, () => {}, { totalMemoryMiB: 560, reservedMiB: 512 });
    try {
      const a = hv.create(minios("a", 16));
      // maxmem above memory reserves nothing until the balloon grows into it.
      hv.create(minios("b", 16, 64));
      expect(hv.info()).toMatchObject({ totalMemoryMiB: 560, freeMemoryMiB: 16 });
      expect(() => hv.create(minios("c", 24))).toThrow("domain \"c\" needs 24 MiB but the host has 16 MiB free beyond Domain-0's 512 MiB (dom0-min-mem in xend-config.sxp)");
      expect(hv.list().map((d) => d.spec.name)).toEqual(["a", "b"]);
      hv.destroy(a.domid);
      expect(hv.info().freeMemoryMiB).toBe(32);
      expect(hv.create(minios("c", 24)).spec.name).toBe("c");
    } finally {
      hv.stop();
    }
  });

  it("gives a balloon no page the host does not have", () => {
    // The probe gives a page back, then asks for it again: with no page free on the host the
    // request fails and the probe crashes; with pages free it powers off.
    for (const [free, reason] of [[0, "crash"], [1, "poweroff"]] as const) {
      const m = new Machine({ builder: "linux", kernel: BALLOON_PROBE, memMiB: 16, harts: 1, bios: null, hostFreePages: () => free });
      m.onConsole = () => {};
      try {
        let r = m.step();
        for (let i = 0; i < 1000 && r.kind !== "shutdown"; i++) r = m.step();
        expect(r).toMatchObject({ kind: "shutdown", reason });
      } finally {
        m.stop();
      }
    }
  });
});

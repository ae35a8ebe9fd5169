import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  FINISHER_BASE,
  FINISHER_PASS,
  FINISHER_RESET,
  MAX_HARTS,
  PLIC_BASE,
  PLIC_SOURCES,
  RAM_BASE,
  RTC_IRQ,
  TIMEBASE_HZ,
  UART_BASE,
  UART_CLOCK_HZ,
  UART_IRQ,
  VIRTIO_BASE,
  VIRTIO_SLOTS,
  VIRTIO_STRIDE,
} from "../public/board.js";
import { fdtLoadAddress, type VirtBoardConfig, virtBoardTree } from "./board-tree.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const base: VirtBoardConfig = {
  ramBytes: 256 * MiB,
  harts: 2,
  isa: "rv64imafdc_zicsr_zifencei_sstc",
  mmuType: "riscv,sv39",
};

const scratch = mkdtempSync(join(tmpdir(), "domus-board-tree-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---- reading dtc's decompiled source back into properties ----

/** Node path -> property name -> value bytes. */
type Dts = Map<string, Map<string, Uint8Array>>;

const be32 = (...values: number[]): Uint8Array => {
  const out = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v));
  return out;
};

const ESCAPES: Record<string, number> = { "0": 0, n: 10, t: 9, r: 13, a: 7, b: 8, v: 11, f: 12, "\\": 92, '"': 34 };

/** Decodes one value as dtc prints it: <cells>, "strings" or [bytes]. */
function decodeValue(src: string): Uint8Array {
  if (src.startsWith("<")) {
    const items = src.slice(1, -1).trim().split(/\s+/).filter(Boolean);
    return be32(...items.map((c) => Number.parseInt(c, 16)));
  }
  if (src.startsWith("[")) {
    return new Uint8Array(src.slice(1, -1).trim().split(/\s+/).filter(Boolean).map((b) => Number.parseInt(b, 16)));
  }
  const out: number[] = [];
  for (const [, body] of src.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    for (let i = 0; i < body.length; i++) {
      if (body[i] !== "\\") {
        out.push(...new TextEncoder().encode(body[i]));
      } else if (body[i + 1] === "x") {
        out.push(Number.parseInt(body.slice(i + 2, i + 4), 16));
        i += 3;
      } else {
        out.push(ESCAPES[body[i + 1]]);
        i += 1;
      }
    }
    out.push(0);
  }
  return new Uint8Array(out);
}

function parseDts(source: string): Dts {
  const tree: Dts = new Map();
  const stack: string[] = [];
  const path = (): string => (stack.length <= 1 ? "/" : stack.slice(1).join("/").replace(/^/, "/"));
  for (const raw of source.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("/dts-v1/") || line.startsWith("/memreserve/")) continue;
    const open = /^(\S+) \{$/.exec(line);
    if (open) {
      stack.push(open[1]);
      tree.set(path(), new Map());
    } else if (line === "};") {
      stack.pop();
    } else {
      const prop = /^([^\s=;]+)(?: = (.*))?;$/.exec(line);
      if (!prop) throw new Error(`unexpected dtc output line: ${line}`);
      tree.get(path())?.set(prop[1], prop[2] === undefined ? new Uint8Array() : decodeValue(prop[2]));
    }
  }
  return tree;
}

/** Runs `dtc -I dtb -O dts` on a blob (through stdin) or a file. */
function decompile(input: Uint8Array | string): { dts: Dts; stderr: string; status: number | null } {
  // A file, when given: dtc stops reading stdin at totalsize, and QEMU pads its dump beyond that.
  const r =
    typeof input === "string"
      ? spawnSync("dtc", ["-I", "dtb", "-O", "dts", input])
      : spawnSync("dtc", ["-I", "dtb", "-O", "dts"], { input });
  if (r.error) throw r.error;
  return { dts: parseDts(r.stdout.toString()), stderr: r.stderr.toString(), status: r.status };
}

const cellsOf = (b: Uint8Array | undefined): number[] => {
  if (b === undefined) throw new Error("missing property");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 4 }, (_, i) => view.getUint32(i * 4));
};
const stringsOf = (b: Uint8Array | undefined): string[] => {
  if (b === undefined) throw new Error("missing property");
  return new TextDecoder().decode(b).replace(/\0$/, "").split("\0");
};
const u64sOf = (b: Uint8Array | undefined): number[] => {
  const c = cellsOf(b);
  return Array.from({ length: c.length / 2 }, (_, i) => c[2 * i] * 2 ** 32 + c[2 * i + 1]);
};

/** Reads a node, failing clearly when it is missing. */
function nodeOf(dts: Dts, path: string): Map<string, Uint8Array> {
  const node = dts.get(path);
  if (!node) throw new Error(`missing node ${path}; have ${[...dts.keys()].join(", ")}`);
  return node;
}

function phandleTargets(dts: Dts): Map<number, string> {
  const byHandle = new Map<number, string>();
  for (const [path, props] of dts) {
    const ph = props.get("phandle");
    if (ph) byHandle.set(cellsOf(ph)[0], path);
  }
  return byHandle;
}

const hex = (n: number): string => n.toString(16);

describe("virtBoardTree", () => {
  const configs: [string, VirtBoardConfig][] = [
    ["two harts", base],
    ["one hart, no virtio", { ...base, harts: 1, virtioSlots: 0 }],
    ["all harts, sv48, bootargs and initrd", {
      ...base,
      harts: MAX_HARTS,
      mmuType: "riscv,sv48",
      ramBytes: 4 * GiB,
      bootargs: "console=ttyS0 root=/dev/vda rw",
      initrd: { start: RAM_BASE + 0x8000000, end: RAM_BASE + 0x8400000 },
    }],
  ];

  it.each(configs)("dtc decompiles it without any warning (%s)", (_, cfg) => {
    const { stderr, status } = decompile(virtBoardTree(cfg));
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });

  it("describes what OpenSBI, U-Boot and Linux look for", () => {
    const cfg: VirtBoardConfig = {
      ...base,
      bootargs: "console=ttyS0",
      initrd: { start: 0x88000000, end: 0x88123456 },
    };
    const { dts } = decompile(virtBoardTree(cfg));
    const targets = phandleTargets(dts);
    const target = (cell: number): string | undefined => targets.get(cell);

    const root = nodeOf(dts, "/");
    expect(cellsOf(root.get("#address-cells"))).toEqual([2]);
    expect(cellsOf(root.get("#size-cells"))).toEqual([2]);
    expect(stringsOf(root.get("compatible"))).toEqual(["riscv-virtio"]);
    expect(stringsOf(root.get("model"))).toEqual(["riscv-virtio,qemu"]);

    const chosen = nodeOf(dts, "/chosen");
    const stdout = stringsOf(chosen.get("stdout-path"))[0];
    expect(stdout).toBe(`/soc/serial@${hex(UART_BASE)}`);
    expect(dts.has(stdout)).toBe(true);
    expect(stringsOf(chosen.get("bootargs"))).toEqual(["console=ttyS0"]);
    expect(u64sOf(chosen.get("linux,initrd-start"))).toEqual([0x88000000]);
    expect(u64sOf(chosen.get("linux,initrd-end"))).toEqual([0x88123456]);

    const memory = nodeOf(dts, `/memory@${hex(RAM_BASE)}`);
    expect(stringsOf(memory.get("device_type"))).toEqual(["memory"]);
    expect(u64sOf(memory.get("reg"))).toEqual([RAM_BASE, 256 * MiB]);

    const cpus = nodeOf(dts, "/cpus");
    expect(cellsOf(cpus.get("#address-cells"))).toEqual([1]);
    expect(cellsOf(cpus.get("#size-cells"))).toEqual([0]);
    expect(cellsOf(cpus.get("timebase-frequency"))).toEqual([TIMEBASE_HZ]);
    const intcs: number[] = [];
    for (let hart = 0; hart < cfg.harts; hart++) {
      const cpu = nodeOf(dts, `/cpus/cpu@${hart}`);
      expect(stringsOf(cpu.get("device_type"))).toEqual(["cpu"]);
      expect(cellsOf(cpu.get("reg"))).toEqual([hart]);
      expect(stringsOf(cpu.get("status"))).toEqual(["okay"]);
      expect(stringsOf(cpu.get("compatible"))).toEqual(["riscv"]);
      expect(stringsOf(cpu.get("riscv,isa"))).toEqual([cfg.isa]);
      expect(stringsOf(cpu.get("mmu-type"))).toEqual(["riscv,sv39"]);
      const intc = nodeOf(dts, `/cpus/cpu@${hart}/interrupt-controller`);
      expect(stringsOf(intc.get("compatible"))).toEqual(["riscv,cpu-intc"]);
      expect(intc.get("interrupt-controller")).toEqual(new Uint8Array());
      expect(cellsOf(intc.get("#interrupt-cells"))).toEqual([1]);
      intcs.push(cellsOf(intc.get("phandle"))[0]);
      const core = nodeOf(dts, `/cpus/cpu-map/cluster0/core${hart}`);
      expect(target(cellsOf(core.get("cpu"))[0])).toBe(`/cpus/cpu@${hart}`);
    }
    expect(dts.has(`/cpus/cpu@${cfg.harts}`)).toBe(false);

    const soc = nodeOf(dts, "/soc");
    expect(stringsOf(soc.get("compatible"))).toEqual(["simple-bus"]);
    expect(soc.get("ranges")).toEqual(new Uint8Array());
    expect(cellsOf(soc.get("#address-cells"))).toEqual([2]);
    expect(cellsOf(soc.get("#size-cells"))).toEqual([2]);

    const clint = nodeOf(dts, "/soc/clint@2000000");
    expect(stringsOf(clint.get("compatible"))).toEqual(["sifive,clint0", "riscv,clint0"]);
    expect(u64sOf(clint.get("reg"))).toEqual([0x2000000, 0x10000]);
    expect(cellsOf(clint.get("interrupts-extended"))).toEqual(intcs.flatMap((h) => [h, 3, h, 7]));

    const plicPath = `/soc/plic@${hex(PLIC_BASE)}`;
    const plic = nodeOf(dts, plicPath);
    expect(stringsOf(plic.get("compatible"))).toEqual(["sifive,plic-1.0.0", "riscv,plic0"]);
    expect(u64sOf(plic.get("reg"))).toEqual([PLIC_BASE, 0x600000]);
    expect(plic.get("interrupt-controller")).toEqual(new Uint8Array());
    expect(cellsOf(plic.get("#interrupt-cells"))).toEqual([1]);
    expect(cellsOf(plic.get("#address-cells"))).toEqual([0]);
    expect(cellsOf(plic.get("riscv,ndev"))).toEqual([PLIC_SOURCES]);
    // Context 2n is hart n's M mode (external interrupt 11), 2n + 1 its S mode (9).
    expect(cellsOf(plic.get("interrupts-extended"))).toEqual(intcs.flatMap((h) => [h, 11, h, 9]));
    const plicHandle = cellsOf(plic.get("phandle"))[0];
    expect(target(plicHandle)).toBe(plicPath);

    const serial = nodeOf(dts, stdout);
    expect(stringsOf(serial.get("compatible"))).toEqual(["ns16550a"]);
    expect(u64sOf(serial.get("reg"))).toEqual([UART_BASE, 0x100]);
    expect(cellsOf(serial.get("clock-frequency"))).toEqual([UART_CLOCK_HZ]);
    expect(cellsOf(serial.get("interrupts"))).toEqual([UART_IRQ]);
    expect(cellsOf(serial.get("interrupt-parent"))).toEqual([plicHandle]);

    for (let slot = 0; slot < VIRTIO_SLOTS; slot++) {
      const address = VIRTIO_BASE + slot * VIRTIO_STRIDE;
      const virtio = nodeOf(dts, `/soc/virtio_mmio@${hex(address)}`);
      expect(stringsOf(virtio.get("compatible"))).toEqual(["virtio,mmio"]);
      expect(u64sOf(virtio.get("reg"))).toEqual([address, VIRTIO_STRIDE]);
      expect(cellsOf(virtio.get("interrupts"))).toEqual([1 + slot]);
      expect(cellsOf(virtio.get("interrupt-parent"))).toEqual([plicHandle]);
    }

    const rtc = nodeOf(dts, "/soc/rtc@101000");
    expect(stringsOf(rtc.get("compatible"))).toEqual(["google,goldfish-rtc"]);
    expect(cellsOf(rtc.get("interrupts"))).toEqual([RTC_IRQ]);
    expect(cellsOf(rtc.get("interrupt-parent"))).toEqual([plicHandle]);

    const testPath = `/soc/test@${hex(FINISHER_BASE)}`;
    const finisher = nodeOf(dts, testPath);
    expect(stringsOf(finisher.get("compatible"))).toEqual(["sifive,test1", "sifive,test0", "syscon"]);
    expect(u64sOf(finisher.get("reg"))).toEqual([FINISHER_BASE, 0x1000]);
    for (const [name, value] of [["/poweroff", FINISHER_PASS], ["/reboot", FINISHER_RESET]] as const) {
      const node = nodeOf(dts, name);
      expect(stringsOf(node.get("compatible"))).toEqual([`syscon-${name.slice(1)}`]);
      expect(target(cellsOf(node.get("regmap"))[0])).toBe(testPath);
      expect(cellsOf(node.get("offset"))).toEqual([0]);
      expect(cellsOf(node.get("value"))).toEqual([value]);
    }

    // Devices we do not emulate must not be advertised.
    const unwanted = [...dts.keys()].filter((p) => /pci|flash|fw-cfg|platform-bus|pmu/.test(p));
    expect(unwanted).toEqual([]);
  });

  it("sizes the optional parts from the configuration", () => {
    const { dts } = decompile(virtBoardTree({ ...base, harts: 5, virtioSlots: 3, ramBytes: 3 * GiB }));
    expect([...dts.keys()].filter((p) => /^\/cpus\/cpu@[0-9a-f]+$/.test(p))).toHaveLength(5);
    expect([...dts.keys()].filter((p) => p.startsWith("/soc/virtio_mmio@"))).toEqual([
      "/soc/virtio_mmio@10001000",
      "/soc/virtio_mmio@10002000",
      "/soc/virtio_mmio@10003000",
    ]);
    expect(u64sOf(nodeOf(dts, "/memory@80000000").get("reg"))).toEqual([RAM_BASE, 3 * GiB]);
    const chosen = nodeOf(dts, "/chosen");
    expect([...chosen.keys()]).toEqual(["stdout-path"]);
  });

  it("rejects configurations the board cannot have", () => {
    const bad: Partial<VirtBoardConfig>[] = [
      { harts: 0 },
      { harts: MAX_HARTS + 1 },
      { harts: 1.5 },
      { ramBytes: 0 },
      { ramBytes: -4096 },
      { ramBytes: 2 ** 60 },
      { isa: "rv32imac" },
      { isa: "RV64IMAC" },
      { isa: "" },
      { mmuType: "riscv,sv57" as VirtBoardConfig["mmuType"] },
      { virtioSlots: VIRTIO_SLOTS + 1 },
      { virtioSlots: -1 },
      { initrd: { start: 0x1000, end: 0x2000 } },
      { initrd: { start: RAM_BASE + 0x2000, end: RAM_BASE + 0x1000 } },
      { initrd: { start: RAM_BASE, end: RAM_BASE + 256 * MiB + 1 } },
    ];
    for (const change of bad) {
      expect(() => virtBoardTree({ ...base, ...change }), JSON.stringify(change)).toThrow(RangeError);
    }
  });
});

// ---- against QEMU itself ----

const qemu = "qemu-system-riscv64";

function qemuTree(harts: number, ramMiB: number): Dts {
  const file = join(scratch, `qemu-${harts}-${ramMiB}.dtb`);
  const r = spawnSync(qemu, ["-M", `virt,dumpdtb=${file}`, "-m", `${ramMiB}`, "-smp", `${harts}`, "-nographic", "-bios", "none"]);
  if (r.status !== 0) throw new Error(`qemu could not dump its tree: ${r.stderr.toString()}`);
  return decompile(file).dts;
}

/** A property value with phandle cells replaced by the paths they point to, for comparing trees. */
function normalised(dts: Dts, path: string, name: string): string {
  const value = nodeOf(dts, path).get(name) ?? new Uint8Array();
  const targets = phandleTargets(dts);
  const at = (c: number): string => targets.get(c) ?? `?${c}`;
  switch (name) {
    case "phandle":
      return "phandle";
    case "interrupt-parent":
    case "regmap":
    case "cpu":
      return cellsOf(value).map(at).join(" ");
    case "interrupts-extended":
      return cellsOf(value).map((c, i) => (i % 2 === 0 ? at(c) : String(c))).join(" ");
    default:
      return Buffer.from(value).toString("hex");
  }
}

describe("compared with QEMU's virt machine", () => {
  it.each([[1, 128], [2, 256], [4, 2048]])("has QEMU's nodes and values for %i harts, %i MiB", (harts, ramMiB) => {
    const theirs = qemuTree(harts, ramMiB);
    const isa = stringsOf(nodeOf(theirs, "/cpus/cpu@0").get("riscv,isa"))[0];
    const ours = decompile(virtBoardTree({ ramBytes: ramMiB * MiB, harts, isa, mmuType: "riscv,sv48" })).dts;

    // Every node and property of ours exists in QEMU's tree with the same value.
    const ourExtras = ["#address-cells"]; // on the cpu interrupt controllers, which dtc asks for
    for (const [path, props] of ours) {
      const theirNode = nodeOf(theirs, path);
      for (const name of props.keys()) {
        if (!theirNode.has(name)) {
          expect(path.endsWith("/interrupt-controller") && ourExtras.includes(name), `${path} ${name}`).toBe(true);
          continue;
        }
        expect(normalised(ours, path, name), `${path} ${name}`).toBe(normalised(theirs, path, name));
      }
    }
    // Whatever QEMU has beyond that is hardware we deliberately leave out.
    const missingNodes = [...theirs.keys()].filter((p) => !ours.has(p));
    expect(missingNodes.every((p) => /^\/(pmu|fw-cfg@|flash@|platform-bus@|soc\/pci@)/.test(p)), missingNodes.join()).toBe(true);
    // Properties we leave out: a random seed, and the finer-grained ISA descriptions of newer QEMUs.
    const optional = (path: string, name: string): boolean =>
      (path === "/chosen" && name === "rng-seed") || (/^\/cpus\/cpu@/.test(path) && /^riscv,(isa-|cbo)/.test(name));
    for (const [path, props] of ours) {
      const missing = [...nodeOf(theirs, path).keys()].filter((name) => !props.has(name) && !optional(path, name));
      expect(missing, path).toEqual([]);
    }
  });

  const uboot = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf";
  it(
    "boots OpenSBI and U-Boot on QEMU with our tree, and powers off through it",
    async () => {
      const harts = 2;
      const ramBytes = 256 * MiB;
      const blob = virtBoardTree({ ...base, harts, ramBytes, isa: "rv64imafdch_zicsr_zifencei_sstc", mmuType: "riscv,sv48" });
      const file = join(scratch, "ours.dtb");
      writeFileSync(file, blob);
      const args = ["-M", "virt", "-m", `${ramBytes / MiB}`, "-smp", `${harts}`, "-bios", "default", "-dtb", file, "-kernel", uboot];
      const child = spawn(qemu, [...args, "-display", "none", "-monitor", "none", "-serial", "stdio", "-nodefaults"], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      let out = "";
      let stage = 0;
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        // Stop autoboot, then ask U-Boot to power off: SBI SRST -> OpenSBI -> the syscon finisher.
        if (stage === 0 && out.includes("Hit any key to stop autoboot")) {
          stage = 1;
          child.stdin.write(" ");
        } else if (stage === 1 && /=> $/.test(out)) {
          stage = 2;
          child.stdin.write("poweroff\n");
        }
      });
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
        child.on("exit", (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      const field = (label: string): string | undefined => new RegExp(`${label}\\s*: (.*)`).exec(out)?.[1]?.trim();
      expect(field("Platform HART Count"), out).toBe(`${harts}`);
      expect(field("Platform Console Device")).toBe("uart8250");
      expect(field("Platform Timer Device")).toBe(`aclint-mtimer @ ${TIMEBASE_HZ}Hz`);
      expect(field("Platform Shutdown Device")).toBe("sifive_test");
      // QEMU placed our DTB where fdtLoadAddress says and handed it to OpenSBI's next stage.
      expect(Number(field("Domain0 Next Arg1"))).toBe(fdtLoadAddress(RAM_BASE, ramBytes, blob.length));
      expect(out).toContain("Model: riscv-virtio,qemu");
      expect(out).toContain("DRAM:  256 MiB");
      expect(out).toMatch(/In:\s+serial@10000000/);
      expect(code, out).toBe(0);
    },
    30_000,
  );
});

// ---- fdtLoadAddress ----

describe("fdtLoadAddress", () => {
  it("matches QEMU's placement", () => {
    expect(fdtLoadAddress(RAM_BASE, 256 * MiB, 3316)).toBe(0x8fe00000);
    expect(fdtLoadAddress(RAM_BASE, 128 * MiB, 2 * MiB)).toBe(0x87e00000);
    expect(fdtLoadAddress(RAM_BASE, 128 * MiB, 2 * MiB + 1)).toBe(0x87c00000);
    // RAM reaching past 3 GiB: the DTB stays below it for 32-bit reachability.
    expect(fdtLoadAddress(RAM_BASE, 4 * GiB, 0x1000)).toBe(0xbfe00000);
    // RAM starting above 3 GiB: simply the top of RAM.
    expect(fdtLoadAddress(4 * GiB, 1 * GiB, 0x1000)).toBe(5 * GiB - 2 * MiB);
  });

  it("rejects a DTB that does not fit", () => {
    expect(() => fdtLoadAddress(RAM_BASE + MiB, MiB, 0x1000)).toThrow(RangeError);
    expect(() => fdtLoadAddress(RAM_BASE, MiB, MiB + 1)).toThrow(RangeError);
    expect(() => fdtLoadAddress(RAM_BASE, 256 * MiB, 0)).toThrow(RangeError);
    expect(() => fdtLoadAddress(RAM_BASE, 256 * MiB, 1.5)).toThrow(RangeError);
  });

  it("is 2 MiB aligned, inside RAM and below the 3 GiB line when RAM starts below it", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 20 }).map((p) => p * 4096),
        fc.integer({ min: 1, max: 2 ** 24 }).map((p) => p * 4096),
        fc.integer({ min: 1, max: 4 * MiB }),
        (ramBase, ramBytes, size) => {
          let address: number;
          try {
            address = fdtLoadAddress(ramBase, ramBytes, size);
          } catch (e) {
            expect(e).toBeInstanceOf(RangeError);
            return;
          }
          const limit = ramBase < 3 * GiB ? Math.min(ramBase + ramBytes, 3 * GiB) : ramBase + ramBytes;
          expect(address % (2 * MiB)).toBe(0);
          expect(address).toBeGreaterThanOrEqual(ramBase);
          expect(address + size).toBeLessThanOrEqual(limit);
          expect(address + size + 2 * MiB).toBeGreaterThan(limit); // as high as alignment allows
        },
      ),
      { numRuns: 500 },
    );
  });
});

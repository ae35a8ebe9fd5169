// What `xm` says when the command line, a config file or the host is wrong: the message names
// the subcommand, option, file and line, and the exit status is non-zero.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { TestHost, run, XM } from "./host.js";
import { MINIOS } from "../support/guest-images.js";

describe("xm without a running host", () => {
  it("names the socket and says how to start the host", async () => {
    const home = mkdtempSync(join(tmpdir(), "domus-"));
    const r = await run(XM, ["list"], { DOMUS_HOME: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${home}/run/xend.sock`);
    expect(r.stderr).toContain("domus up");
  });
});

describe("xm argument and config errors", () => {
  let host: TestHost;
  let dir: string;
  beforeAll(async () => {
    host = new TestHost();
    await host.up();
    dir = mkdtempSync(join(tmpdir(), "domus-cfg-"));
  });
  afterAll(async () => {
    await host.down();
  });

  it("rejects an unknown subcommand", async () => {
    const r = await host.xm("frobnicate");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Subcommand frobnicate not found");
  });

  it("rejects unknown options and wrong operand counts with the usage line", async () => {
    const r1 = await host.xm("list", "-x");
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain("option -x not recognized");
    expect(r1.stderr).toContain("Usage: xm list");
    const r2 = await host.xm("pause");
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("'xm pause' requires 1 argument");
    const r3 = await host.xm("sched-credit", "-d", "Domain-0", "-w", "heavy");
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain("weight must be a whole number");
    const r4 = await host.xm("mem-set", "x", "lots");
    expect(r4.code).toBe(2);
    expect(r4.stderr).toContain('memory "lots"');
  });

  it("names the domain that does not exist", async () => {
    const r = await host.xm("destroy", "nosuch");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Domain 'nosuch' does not exist.");
  });

  it("names the config file and line of a mistake", async () => {
    const file = join(dir, "bad.cfg");
    writeFileSync(file, "name = 'vm1'\nmemory = 'lots'\nbuilder = 'hvm'\n");
    const r = await host.xm("create", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2`);
    expect(r.stderr).toContain("memory");
    const missing = await host.xm("create", join(dir, "none.cfg"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`config file ${join(dir, "none.cfg")} does not exist`);
  });

  it("lists Domain-0 first, in the manual's columns", async () => {
    const r = await host.xm("list");
    expect(r.code).toBe(0);
    const [header, dom0] = r.stdout.split("\n");
    expect(header).toBe(`${"Name".padEnd(40)}    ID   Mem VCPUs      State   Time(s)`);
    expect(dom0).toMatch(/^Domain-0 {32} {5}0 +\d+ +\d+ {5}r----- +\d+\.\d$/);
    const json = JSON.parse((await host.xm("list", "--json")).stdout) as { name: string }[];
    expect(json[0].name).toBe("Domain-0");
  });

  it("keeps managed domains: new, list, delete", async () => {
    const file = join(dir, "managed.cfg");
    writeFileSync(file, "name = 'kept'\nbuilder = 'hvm'\nmemory = 64\nbios = '/usr/lib/u-boot/qemu-riscv64/u-boot.bin'\n");
    const added = await host.xm("new", file);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    const list = await host.xm("list");
    expect(list.stdout).toMatch(/^kept {36} {6} +64 +1 {12}/m);
    const sxp = await host.xm("list", "-l", "kept");
    expect(sxp.stdout).toContain("(name kept)");
    const exported = join(dir, "kept.sxp");
    writeFileSync(exported, sxp.stdout);
    expect((await host.xm("delete", "kept")).code).toBe(0);
    expect((await host.xm("list")).stdout).not.toContain("kept");
    expect((await host.xm("new", "-F", exported)).code).toBe(0);
    expect((await host.xm("list", "kept")).code).toBe(0);
    expect((await host.xm("delete", "kept")).code).toBe(0);
  });
});

describe("xm create on a host without the memory", () => {
  let host: TestHost;
  let dir: string;
  beforeAll(async () => {
    host = new TestHost();
    // Domain-0 keeps all but 40 MiB of the host's memory (the kernel counts whole MiB of it).
    const total = Math.floor(totalmem() / 2 ** 20);
    writeFileSync(join(host.home, "xend-config.sxp"), `(dom0-min-mem ${total - 40})\n`);
    await host.up();
    dir = mkdtempSync(join(tmpdir(), "domus-cfg-"));
  });
  afterAll(async () => {
    await host.down();
  });

  it("refuses a domain the host has no memory for, and xm info shows what is free", async () => {
    expect(/^free_memory\s*:\s*(\d+)/m.exec((await host.xm("info")).stdout)?.[1]).toBe("40");
    const cfg = join(dir, "big.cfg");
    writeFileSync(cfg, `name = 'big'\nbuilder = 'linux'\nkernel = '${MINIOS}'\nmemory = 64\n`);
    const r = await host.xm("create", cfg);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("needs 64 MiB but the host has 40 MiB free beyond Domain-0's");
    expect(r.stderr).toContain("dom0-min-mem in xend-config.sxp");
    expect((await host.xm("list")).stdout).not.toContain("big");
  });
});

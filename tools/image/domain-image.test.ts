import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DOMUS } from "../../test/support/guest-console.js";
import { parseDiskEntry } from "../config/disk.js";

let home: string;
beforeEach(() => { home = mkdtempSync(join(tmpdir(), "domus-image-")); });
afterEach(() => rmSync(home, { recursive: true, force: true }));

function domusImage(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [DOMUS, "image", "create", "--home", home, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The image qemu-img sees: its format and virtual size. */
function qemuInfo(path: string): { format: string; "virtual-size": number } {
  return JSON.parse(execFileSync("qemu-img", ["info", "--output=json", path], { encoding: "utf8" }));
}

describe("domus image create", () => {
  it("makes a sparse raw disk under images/<vm>/disk0 and prints a disk = entry that parses", () => {
    const r = domusImage("web1", "--size", "8G");
    expect(r.code).toBe(0);
    const path = join(home, "images", "web1", "disk0");
    expect(r.out).toContain(`Created ${path} (raw, 8 GiB, sparse).`);
    const entry = /disk = \[ '([^']+)' \]/.exec(r.out)![1];
    expect(parseDiskEntry(entry)).toMatchObject({ type: "file", path, vdev: "xvda", mode: "w" });
    const st = statSync(path);
    expect(st.size).toBe(8 * 2 ** 30);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024); // sparse: nothing allocated
    expect(qemuInfo(path)).toMatchObject({ format: "raw", "virtual-size": 8 * 2 ** 30 });
  });

  it("makes qcow2 and VMDK disks that qemu-img accepts, as the next disk of the domain", () => {
    for (const [format, disk, type] of [["qcow2", "1", "tap:qcow"], ["vmdk", "2", "tap:vmdk"]]) {
      const r = domusImage("db", "--size", "1G", "--format", format, "--disk", disk);
      expect(r.code, r.err).toBe(0);
      const path = join(home, "images", "db", `disk${disk}`);
      expect(r.out).toContain(`disk = [ '${type}:${path},xvd${disk === "1" ? "b" : "c"},w' ]`);
      expect(qemuInfo(path)).toMatchObject({ format, "virtual-size": 2 ** 30 });
      execFileSync("qemu-img", ["check", path]); // exits non-zero on any error
      expect(statSync(path).blocks * 512).toBeLessThan(4 * 1024 * 1024);
    }
  });

  it("never overwrites an image, and names what is wrong with bad arguments", () => {
    expect(domusImage("web1", "--size", "1M").code).toBe(0);
    const again = domusImage("web1", "--size", "2M");
    expect(again.code).toBe(1);
    expect(again.err).toContain("it exists already");
    expect(statSync(join(home, "images", "web1", "disk0")).size).toBe(2 ** 20);

    expect(domusImage("web1", "--size", "3 apples", "--disk", "1").err).toContain('disk size "3 apples" is not a number');
    expect(domusImage("web1", "--size", "1G", "--format", "vdi", "--disk", "1").err).toContain('--format "vdi" is not one of raw, qcow2, vmdk');
    expect(domusImage("../etc", "--size", "1G").err).toContain('domain name "../etc" must be');
    expect(domusImage("web1", "--size", "1G", "--disk", "99").err).toContain("must be a disk number 0..25");
  });
});

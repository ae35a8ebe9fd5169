import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ValueError } from "./config-error.js";
import { parseDiskEntry, DISK_TYPES } from "./disk.js";

// Round trips of disk entries are in domain-roundtrip.test.ts, with the other generators.
describe("disk entries", () => {
  it("reads the manual's example of Table 6.1", () => {
    expect(parseDiskEntry("file:/var/lib/xen/images/VM1_SLES10/hda,xvda,w")).toEqual({
      type: "file", path: "/var/lib/xen/images/VM1_SLES10/hda", vdev: "xvda", devtype: "disk", mode: "w",
    });
  });

  it.each([
    // The uname forms of Table 6.3 and §6.10.
    ["phy:/dev/sdc", "phy", "/dev/sdc"],
    ["file:/path/file", "file", "/path/file"],
    ["tap:aio:/path/file", "tap:aio", "/path/file"],
    ["tap:vmdk:/path/file", "tap:vmdk", "/path/file"],
    ["tap:qcow:/path/file", "tap:qcow", "/path/file"],
    ["phy:/dev/cdrom", "phy", "/dev/cdrom"],
    ["file:/mnt/disks/sles10sp1.iso", "file", "/mnt/disks/sles10sp1.iso"],
    ["tap:aio:/mnt/disks/sles10sp1.iso", "tap:aio", "/mnt/disks/sles10sp1.iso"],
    ["tap:qcow:/mnt/disks/sles10sp1.iso.qcow", "tap:qcow", "/mnt/disks/sles10sp1.iso.qcow"],
    ["tap:vmdk:/mnt/disks/sles10sp1.iso.vmdk", "tap:vmdk", "/mnt/disks/sles10sp1.iso.vmdk"],
    ["nbd:192.168.1.5:10809", "nbd", "192.168.1.5:10809"],
    ["phy:sdc", "phy", "/dev/sdc"], // as Xen, a phy: name without / is under /dev
  ])("reads the uname %s", (uname, type, path) => {
    expect(parseDiskEntry(`${uname},xvdb,r`)).toMatchObject({ type, path });
  });

  it("reads the CD readers of xm block-attach (§6.2.4)", () => {
    expect(parseDiskEntry("file:/mycd.iso,hdc:cdrom,r")).toEqual({ type: "file", path: "/mycd.iso", vdev: "hdc", devtype: "cdrom", mode: "r" });
    expect(parseDiskEntry("file:/mycd.iso,xvdb:cdrom,r")).toMatchObject({ vdev: "xvdb", devtype: "cdrom" });
    expect(parseDiskEntry("phy:/dev/cdrom,xvdb:cdrom,r")).toMatchObject({ type: "phy", devtype: "cdrom" });
  });

  it("reads xvda:disk (manual Example 6.2), w! and a backend", () => {
    expect(parseDiskEntry("file:/d,xvda:disk,w!,blk1")).toEqual({ type: "file", path: "/d", vdev: "xvda", devtype: "disk", mode: "w!", backend: "blk1" });
    expect(parseDiskEntry("file:/d,xvda,w,0")).not.toHaveProperty("backend");
  });

  it.each([
    ["file:/d,xvda", "is not 'TYPE:PATH,VDEV,MODE[,BACKEND]'"],
    ["file:/d,xvda,w,b,extra", "is not 'TYPE:PATH,VDEV,MODE[,BACKEND]'"],
    ["/d,xvda,w", "must start with one of file: tap:aio:"],
    ["tap:foo:/d,xvda,w", "must start with one of"],
    ["iscsi:iqn.2001-04.com.acme@0ac47ee2,xvda,w", "iscsi: disks are not supported"],
    ["npiv:210400e08b80c40f,xvda,w", "npiv: disks are not supported"],
    ["file:,xvda,w", 'has no path after "file:"'],
    ["nbd:host,xvda,w", "is not HOST:PORT"],
    ["nbd:host:99999,xvda,w", "is not HOST:PORT"],
    ["file:/d\u0001,xvda,w", "contains a control character"],
    ["file:/d,vda,w", "is not a virtual device name"],
    ["file:/d,xvda:floppy,w", "after \":\" comes disk or cdrom"],
    ["file:/d,xvda,rw", "is not r, w or w!"],
    ["file:/d,hdc:cdrom,w", "a cdrom is read-only"],
    ["file:/d,xvda,w,bad/name", "backend"],
  ])("refuses %j: %s", (entry, message) => {
    expect(() => parseDiskEntry(entry)).toThrow(ValueError);
    expect(() => parseDiskEntry(entry)).toThrow(message);
  });

  it("either parses or throws ValueError, for any text", () => {
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.tuple(fc.constantFrom(...DISK_TYPES, "iscsi", "x"), fc.string({ maxLength: 10 }), fc.string({ maxLength: 8 }), fc.string({ maxLength: 3 }))
      .map(([t, p, v, m]) => `${t}:${p},${v},${m}`));
    fc.assert(fc.property(text, (t) => {
      try {
        parseDiskEntry(t);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
      }
    }), { numRuns: 3000 });
  });
});


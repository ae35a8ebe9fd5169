// A paravirtual guest (builder='linux') starts in S-mode with its start_info page and talks to
// the hypervisor through hypercalls with Xen's numbers.

import { afterEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { GuestConsole } from "./support/guest-console.js";

const probe = (name: string): string => fileURLToPath(new URL(`../guests/isa/bin/${name}.elf`, import.meta.url));

let guest: GuestConsole | undefined;
afterEach(() => guest?.kill());

describe("a paravirtual guest", () => {
  it("prints through console_io, reads start_info and xen_version, and shuts down through sched_op", async () => {
    guest = GuestConsole.domus(["--builder", "linux", "-m", "16", "--kernel", probe("probe_pv_hello")]);
    expect(await guest.exitCode()).toBe(0);
    expect(guest.text).toBe("hello from a paravirtual guest\n");
  });

  it("starts and stops its second vCPU through SBI HSM", async () => {
    guest = GuestConsole.domus(["--builder", "linux", "--smp", "2", "-m", "16", "--kernel", probe("probe_pv_hsm")]);
    expect(await guest.exitCode()).toBe(0);
    expect(guest.text).toBe("hsm ok\n");
  });

  it("gives a page back through memory_op: the page faults while it is gone and comes back zeroed", async () => {
    guest = GuestConsole.domus(["--builder", "linux", "-m", "16", "--kernel", probe("probe_pv_balloon")]);
    expect(await guest.exitCode()).toBe(0);
    expect(guest.text).toBe("balloon: gave a page back\nballoon: the page faulted, came back zeroed\n");
  });

  it("sends on a loopback event channel, sleeping until it arrives; a closed or unbound port is refused", async () => {
    guest = GuestConsole.domus(["--builder", "linux", "-m", "16", "--kernel", probe("probe_pv_evtchn")]);
    expect(await guest.exitCode()).toBe(0);
    expect(guest.text).toBe(
      "evtchn: the loopback send arrived\n" +
      "evtchn: sends on a closed port, an unbound port and outside RAM are refused\n",
    );
  });

  it("maps a grant read-only: the window shows the granted frame, stores and jumps through it fault, the unmap gives the page back", async () => {
    guest = GuestConsole.domus(["--builder", "linux", "-m", "16", "--kernel", probe("probe_pv_grant_map")]);
    expect(await guest.exitCode()).toBe(0);
    expect(guest.text).toBe(
      "grant map: the window shows the granted page\n" +
      "grant map: a store and a jump through the read-only window fault\n" +
      "grant map: unmapped, the window is our own page again\n",
    );
  });

  it("needs a kernel", async () => {
    guest = GuestConsole.domus(["--builder", "linux", "-m", "16"]);
    expect(await guest.exitCode()).toBe(1);
    expect(guest.text).toContain("builder='linux' needs a kernel");
  });
});

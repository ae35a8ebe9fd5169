// Debian's xenstore tools (xenstore-utils) and Xen's own test program (xen-utils-4.17) against
// the store process, through XENSTORED_PATH, as a Xen user would run them.

import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreProcess, tempHome } from "./support.js";

const TEST_XENSTORE = "/usr/lib/xen-4.17/bin/test-xenstore";
const XENSTORE_CONTROL = "/usr/lib/xen-4.17/bin/xenstore-control";

let store: StoreProcess;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempHome();
  cleanup = t.remove;
  store = await StoreProcess.start(t.home);
});

afterAll(async () => {
  await store.stop();
  cleanup();
});

function env(): NodeJS.ProcessEnv {
  return { ...process.env, XENSTORED_PATH: store.socket };
}

/** Runs a tool; returns stdout, stderr and status. */
function run(cmd: string, ...args: string[]): { out: string; err: string; status: number | null } {
  const r = spawnSync(cmd, args, { env: env(), encoding: "utf8", timeout: 30_000 });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

function ok(cmd: string, ...args: string[]): string {
  const r = run(cmd, ...args);
  expect(r.status, `${cmd} ${args.join(" ")}: ${r.err}`).toBe(0);
  return r.out;
}

describe("xenstore-utils", () => {
  it("write, read, exists and list", () => {
    ok("xenstore-write", "/tools/a", "hello world", "/tools/b", "2");
    expect(ok("xenstore-read", "/tools/a", "/tools/b")).toBe("hello world\n2\n");
    expect(ok("xenstore-list", "/tools")).toBe("a\nb\n");
    expect(run("xenstore-exists", "/tools/a").status).toBe(0);
    expect(run("xenstore-exists", "/tools/nothing").status).toBe(1);
    const missing = run("xenstore-read", "/tools/nothing");
    expect(missing.status).toBe(1);
    expect(missing.err).toContain("couldn't read path /tools/nothing");
  });

  it("relative paths are below Domain-0's home", () => {
    ok("xenstore-write", "rel/x", "5");
    expect(ok("xenstore-read", "/local/domain/0/rel/x")).toBe("5\n");
    expect(ok("xenstore-read", "rel/x")).toBe("5\n");
  });

  it("ls shows the tree as Xen lays it out, with -f and -p", () => {
    const tree = ok("xenstore-ls");
    expect(tree).toMatch(/^tool = ""\n xenstored = ""\nlocal = ""\n domain = ""\n  0 = ""\n   domid = "0"\n   name = "Domain-0"\n/);
    ok("xenstore-write", "/ls/x", "1", "/ls/y/z", "2");
    expect(ok("xenstore-ls", "-f", "/ls")).toBe('/ls/x = "1"\n/ls/y = ""\n/ls/y/z = "2"\n');
    expect(ok("xenstore-ls", "-p", "/ls")).toMatch(/^x = "1" [ .]*\(n0\)\n/);
  });

  it("chmod sets permissions, recursively with -r", () => {
    ok("xenstore-write", "/perm/a/b", "v");
    ok("xenstore-chmod", "/perm/a", "n0", "r5", "b7");
    expect(ok("xenstore-ls", "-p", "/perm")).toMatch(/a = "" [ .]*\(n0,r5,b7\)\n b = "v" [ .]*\(n0\)/);
    ok("xenstore-chmod", "-r", "/perm/a", "w3");
    expect(ok("xenstore-ls", "-p", "/perm")).toMatch(/a = "" [ .]*\(w3\)\n b = "v" [ .]*\(w3\)/);
    expect(run("xenstore-chmod", "/perm/a", "x1").status).not.toBe(0);
  });

  it("rm removes subtrees, and empty parents with -t", () => {
    ok("xenstore-write", "/rm/a/b/c", "1", "/rm/d", "2");
    ok("xenstore-rm", "/rm/a");
    expect(ok("xenstore-list", "/rm")).toBe("d\n");
    ok("xenstore-write", "/tidy/x/y", "1");
    ok("xenstore-rm", "-t", "/tidy/x/y");
    expect(run("xenstore-exists", "/tidy").status).toBe(1);
  });

  it("lists directories longer than one message (DIRECTORY_PART)", () => {
    const args: string[] = [];
    for (let i = 0; i < 400; i++) args.push(`/big/child-${String(i).padStart(4, "0")}`, `${i}`);
    ok("xenstore-write", ...args);
    const names = ok("xenstore-list", "/big").trim().split("\n");
    expect(names).toHaveLength(400);
    expect(names[0]).toBe("child-0000");
    expect(names[399]).toBe("child-0399");
  });

  it("watch reports the registration, then each change", async () => {
    const watcher = spawn("xenstore-watch", ["-n", "3", "/watched"], { env: env() });
    let out = "";
    watcher.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    const exited = new Promise<number | null>((resolve) => watcher.on("exit", resolve));
    for (let i = 0; i < 200 && !out.includes("\n"); i++) await new Promise((r) => setTimeout(r, 10));
    ok("xenstore-write", "/watched/x", "1");
    ok("xenstore-rm", "/watched");
    expect(await exited).toBe(0);
    expect(out).toBe("/watched\n/watched/x\n/watched\n");
  });

  it("xenstore-control check, print and quota", () => {
    expect(ok(XENSTORE_CONTROL, "check")).toContain("OK");
    expect(ok(XENSTORE_CONTROL, "print", "hello-from-test")).toContain("OK");
    expect(ok(XENSTORE_CONTROL, "quota")).toContain("nodes: 1000");
    expect(run(XENSTORE_CONTROL, "no-such-command").status).not.toBe(0);
  });
});

describe("test-xenstore (xen-utils-4.17)", () => {
  it("passes every test, 10 iterations each", () => {
    const r = run(TEST_XENSTORE, "-i", "10");
    expect(r.status, r.out + r.err).toBe(0);
    for (const name of ["read 1", "write 2000", "dir", "rm dir", "ta rmw", "ta err"]) {
      expect(r.out).toMatch(new RegExp(`^${name} *: avg`, "m"));
    }
    expect(r.out).not.toContain("failed");
  });

  it("passes its random mix for 2 seconds", () => {
    const r = run(TEST_XENSTORE, "-r", "2");
    expect(r.status, r.out + r.err).toBe(0);
  });
});

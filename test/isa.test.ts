// The instruction-set tests in guests/isa: each ELF is a bare-metal M-mode program that reports
// through HTIF (tohost), and `domus run` exits with status tohost >> 1: 0 when every check passed,
// otherwise the number of the failing check (`TEST n` in guests/isa/<name>.S).
// The ELFs are prebuilt and kept in guests/isa/bin (rebuild with guests/isa/build.sh).

import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOMUS = fileURLToPath(new URL("../dist/tools/domus.js", import.meta.url));
const BIN = fileURLToPath(new URL("../guests/isa/bin/", import.meta.url));
const RUN_TIMEOUT_MS = 60_000;

// probe_*.elf are not ISA tests: they exercise what the host sees (test/console.test.ts).
const elfs = existsSync(BIN) ? readdirSync(BIN).filter((f) => f.endsWith(".elf") && !f.startsWith("probe_")).sort() : [];

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
}

/** `node dist/tools/domus.js run --bios none --kernel ELF -m 64`, no shell, killed after 60 s. */
function runElf(elf: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [DOMUS, "run", "--bios", "none", "--kernel", elf, "-m", "64"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const collect = (chunk: Buffer): void => {
      output += chunk.toString("latin1");
      if (output.length > 64 * 1024) output = output.slice(-32 * 1024);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, RUN_TIMEOUT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output });
    });
  });
}

function describeFailure(name: string, r: RunResult): string {
  const tail = r.output.trim() ? `\noutput:\n${r.output.trim().slice(-2000)}` : "";
  if (r.timedOut) return `${name}.elf: no result within ${RUN_TIMEOUT_MS / 1000} s${tail}`;
  if (r.code === null) return `${name}.elf: domus was killed by ${r.signal}${tail}`;
  return `${name}.elf: check ${r.code} failed (TEST ${r.code} in guests/isa/${name}.S; `
    + `tohost = ${(r.code << 1) | 1})${tail}`;
}

describe("RISC-V ISA tests (guests/isa)", () => {
  it("has the domus CLI and the prebuilt test ELFs", () => {
    expect(existsSync(DOMUS), `${DOMUS} is missing: run npm run build`).toBe(true);
    expect(elfs.length, `no ELFs in ${BIN}: run guests/isa/build.sh`).toBeGreaterThan(20);
  });

  for (const file of elfs) {
    const name = file.slice(0, -".elf".length);
    it(name, async () => {
      const result = await runElf(BIN + file);
      expect(result.timedOut, describeFailure(name, result)).toBe(false);
      expect(result.code, describeFailure(name, result)).toBe(0);
    }, RUN_TIMEOUT_MS + 10_000);
  }
});

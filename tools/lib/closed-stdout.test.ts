import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const HELPER = fileURLToPath(new URL("../../dist/tools/lib/closed-stdout.js", import.meta.url));

describe("a command whose reader goes away", () => {
  it("stops quietly with status 0", async () => {
    const script = `const { quitWhenStdoutCloses } = await import(${JSON.stringify(HELPER)}); quitWhenStdoutCloses();
      for (let i = 0; i < 64; i++) process.stdout.write("x".repeat(65536));`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => { stderr += s; });
    // Read a little, then go away, as `head -1` does.
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../kernel/host/project-root.js";
import { renderHeader, HEADER_PATH } from "./gen-c-abi.js";

describe("guests/include/domus-abi.h", () => {
  it("is what kernel/public defines (regenerate with node dist/tools/gen-c-abi.js)", () => {
    expect(readFileSync(join(projectRoot(), HEADER_PATH), "utf8")).toBe(renderHeader());
  });
});

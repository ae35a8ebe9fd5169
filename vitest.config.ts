import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Machines are CPU-heavy and this host has 2 cores: run test files two at a time.
    maxWorkers: 2,
  },
});

import { defineConfig } from "vitest/config";

// One production server for all e2e files (global setup); files run one after another against it.
export default defineConfig({
  test: {
    globalSetup: ["./src/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from "vitest/config";

// One database per test file; files run one after another so the two shared cores are not oversubscribed.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 120_000, fileParallelism: false } });

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nextCodeVersion, readCodeVersion } from "../src/code-version";
import { loadEnv } from "../src/env";

const outside = mkdtempSync(join(tmpdir(), "concord-not-git-"));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe("code version", () => {
  it("is the build stamp when set, else this checkout's HEAD", () => {
    expect(readCodeVersion("v1.2.3-abc")).toBe("v1.2.3-abc");
    expect(readCodeVersion(undefined)).toMatch(/^[0-9a-f]{40}(\+dirty)?$/);
    expect(loadEnv({ CONCORD_CODE_VERSION: " abc " }).CONCORD_CODE_VERSION).toBe("abc");
  });

  it("says unknown, and why, outside a git checkout", () => {
    expect(readCodeVersion(undefined, outside)).toBe(
      "unknown: not a git checkout and CONCORD_CODE_VERSION is not set",
    );
  });

  it("keeps every version a resumed run's attempts ran", () => {
    expect(nextCodeVersion(null, "a")).toBe("a");
    expect(nextCodeVersion("a", "a")).toBe("a");
    expect(nextCodeVersion("a", "b")).toBe("a then b");
    expect(nextCodeVersion("a then b", "b")).toBe("a then b");
  });
});

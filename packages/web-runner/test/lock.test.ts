import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { holdLock } from "../src/lock";

describe("holdLock", () => {
  it("a second holder waits until the first releases, and says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "web-runner-lock-"));
    const file = join(dir, "lock");
    try {
      const release = await holdLock(file, () => {});
      const notes: string[] = [];
      let second: (() => void) | undefined;
      const waiting = holdLock(file, (m) => notes.push(m)).then((r) => {
        second = r;
      });
      await new Promise((r) => setTimeout(r, 2500));
      expect(second).toBeUndefined();
      expect(notes.join("\n")).toMatch(/waiting for .*lock/);
      release();
      await waiting;
      expect(second).toBeDefined();
      second!();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

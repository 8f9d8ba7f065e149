import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildTar, tarHeader } from "./tar";

describe("tar", () => {
  it("writes a header whose checksum matches the ustar rule", () => {
    const h = tarHeader({ name: "model.json", data: new Uint8Array(700) });
    const stored = Number.parseInt(new TextDecoder().decode(h.subarray(148, 154)), 8);
    const copy = Uint8Array.from(h);
    copy.fill(0x20, 148, 156);
    expect(stored).toBe(copy.reduce((a, b) => a + b, 0));
    expect(new TextDecoder().decode(h.subarray(124, 135))).toBe("00000001274"); // 700 in octal
  });

  it("produces an archive that the system tar extracts byte for byte", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tar-test-"));
    try {
      const weights = Uint8Array.from({ length: 1300 }, (_, i) => i % 251);
      const tar = buildTar([
        { name: "model.json", data: new TextEncoder().encode('{"a":1}') },
        { name: "weights.bin", data: weights },
      ]);
      expect(tar.length % 512).toBe(0);
      writeFileSync(path.join(dir, "a.tar"), tar);
      execFileSync("tar", ["-xf", "a.tar"], { cwd: dir });
      expect(readFileSync(path.join(dir, "model.json"), "utf8")).toBe('{"a":1}');
      expect(Uint8Array.from(readFileSync(path.join(dir, "weights.bin")))).toEqual(weights);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a name longer than the header field", () => {
    expect(() => tarHeader({ name: "x".repeat(101), data: new Uint8Array() })).toThrow(/longer than 100/);
  });
});

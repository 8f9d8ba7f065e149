import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawFace } from "../src/demo/faces";
import { createRng } from "../src/demo/rng";
import { encodePng48 } from "../src/pixels";
import { tempDir } from "./helpers";

const BIN = fileURLToPath(new URL("../bin/concord.mjs", import.meta.url));

describe("concord CLI (bin/concord.mjs)", () => {
  let t: TTestDatabase;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL: t.url },
      encoding: "utf8",
    });
  beforeAll(async () => {
    t = await createTestDatabase("imp_cli");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("imports a folder, refuses in strict mode with exit 2, and prints the leak summary", async () => {
    const dir = tempDir("cli");
    mkdirSync(join(dir, "valid"));
    const rng = createRng(2);
    const face = encodePng48(drawFace("happiness", rng));
    writeFileSync(join(dir, "a.png"), face);
    writeFileSync(join(dir, "valid", "b.png"), face); // the same face in valid: a leak
    writeFileSync(join(dir, "votes.csv"), "task,worker,label\na,w1,happiness\nb,w1,nonsense\n");

    const strict = run("import", dir, "--dataset", "cli", "--strict");
    expect(strict.status).toBe(2);
    expect(strict.stdout).toContain('rejected votes.csv:3: unknown label "nonsense"');
    expect(strict.stdout).toContain("nothing was committed");
    expect(await t.db.image.count()).toBe(0);

    const ok = run("import", dir, "--dataset", "cli");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("added 2, skipped 0 (already there), rejected 1");
    expect(ok.stdout).toContain("valid faces with a twin in train: 1 exact");

    const leaks = run("leaks", "cli", "--list", "5");
    expect(leaks.status).toBe(0);
    expect(leaks.stdout).toMatch(/EXACT d=0 (TRAIN\/a ~ VALID\/b|VALID\/b ~ TRAIN\/a)/);
  }, 180_000); // three tsx start-ups on a loaded 2-core machine

  it("exits 1 with a one-line message on a missing path or unknown command", () => {
    const missing = run("import", "/no/such/dir");
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe("concord: missing file: /no/such/dir does not exist");
    const unknown = run("frobnicate");
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toContain("usage:");
  }, 120_000);
});

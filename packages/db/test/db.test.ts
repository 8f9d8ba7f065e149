import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../src/migrate";
import { createTestDatabase, type TTestDatabase } from "../src/testing";

let t: TTestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await t?.drop();
});

describe("migrations", () => {
  it("are recorded like prisma migrate deploy and are idempotent", async () => {
    const again = await migrate(t.url);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied.length).toBeGreaterThan(0);
    const rows = await t.db.$queryRawUnsafe<{ checksum: string; finished_at: Date }[]>(
      `SELECT checksum, finished_at FROM "_prisma_migrations"`,
    );
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum) && r.finished_at)).toBe(true);
  });
});

describe("votes", () => {
  it("are unique per annotator and image, enforced by the database", async () => {
    const user = await t.db.user.create({ data: { email: "a@x", name: "A", passwordHash: "x" } });
    const ds = await t.db.dataset.create({
      data: { slug: "d", name: "D", source: "SYNTHETIC", taxonomy: ["neutral", "happiness"] },
    });
    const image = await t.db.image.create({
      data: {
        datasetId: ds.id,
        split: "TRAIN",
        externalId: "1",
        sha256: "0".repeat(64),
        phash: "0".repeat(16),
        pixels: new Uint8Array(2304),
      },
    });
    await t.db.vote.create({ data: { imageId: image.id, annotatorId: user.id, label: "neutral" } });
    await expect(
      t.db.vote.create({ data: { imageId: image.id, annotatorId: user.id, label: "happiness" } }),
    ).rejects.toThrow(/Unique constraint/);
    expect(await t.db.vote.count()).toBe(1);
  });
});

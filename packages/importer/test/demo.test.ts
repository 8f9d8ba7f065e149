import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { verify } from "@node-rs/argon2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_USERS, generateSyntheticDataset, SYNTHETIC_SLUG, seedDemo } from "../src/demo/index";
import { sha256Hex } from "../src/pixels";
import { FERPLUS_LABELS } from "../src/taxonomy";

const fingerprint = (seed: number) => {
  const d = generateSyntheticDataset({ seed, perEmotion: 6, nonFaces: 4, queue: 9 });
  return d.faces.map(
    (f) => `${f.id}|${f.split}|${f.truth}|${sha256Hex(f.pixels)}|${JSON.stringify(f.votes)}|${f.gold}`,
  );
};

describe("synthetic dataset", () => {
  it("is a pure function of the seed", () => {
    expect(fingerprint(11)).toEqual(fingerprint(11));
    expect(fingerprint(11)).not.toEqual(fingerprint(12));
  });

  it("has reliable, noisy and spammer annotators whose votes follow their confusion matrices", () => {
    const d = generateSyntheticDataset({ seed: 3, perEmotion: 120, nonFaces: 40, queue: 0 });
    expect(d.annotators.map((a) => a.kind).sort()).toEqual([
      ...new Array(5).fill("noisy"),
      ...new Array(5).fill("reliable"),
      "spammer",
    ]);
    for (const a of d.annotators)
      for (const row of a.confusion) expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
    const accuracy = (kind: string) => {
      let hit = 0;
      let n = 0;
      for (const f of d.faces) {
        for (const v of f.votes) {
          if (d.annotators.find((a) => a.id === v.worker)!.kind !== kind) continue;
          n++;
          hit += v.label === f.truth ? 1 : 0;
        }
      }
      return hit / n;
    };
    expect(accuracy("reliable")).toBeGreaterThan(0.82);
    expect(accuracy("noisy")).toBeLessThan(0.72);
    expect(accuracy("noisy")).toBeGreaterThan(0.5);
    expect(accuracy("spammer")).toBeLessThan(0.25);
    expect(d.faces.every((f) => FERPLUS_LABELS.includes(f.truth as (typeof FERPLUS_LABELS)[number]))).toBe(
      true,
    );
    expect(new Set(d.faces.map((f) => f.split))).toEqual(new Set(["TRAIN", "VALID", "TEST"]));
  });
});

describe("seedDemo (synthetic path, no FER+ folder)", () => {
  let t: TTestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("imp_demo");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("creates the demo users with working passwords and the synthetic dataset, then reports unchanged", async () => {
    const first = await seedDemo(t.db, { seed: 7 });
    expect(first.users.map((u) => [u.email, u.status])).toEqual(DEMO_USERS.map((u) => [u.email, "created"]));
    for (const u of first.users) {
      const row = await t.db.user.findUniqueOrThrow({ where: { email: u.email } });
      expect(await verify(row.passwordHash, u.password!)).toBe(true);
      expect(await verify(row.passwordHash, `${u.password}x`)).toBe(false);
    }
    const ds = await t.db.dataset.findUniqueOrThrow({ where: { slug: SYNTHETIC_SLUG } });
    expect(ds.source).toBe("SYNTHETIC");
    const expected = generateSyntheticDataset({ seed: 7 });
    expect(await t.db.image.count({ where: { datasetId: ds.id } })).toBe(expected.faces.length);
    expect(await t.db.vote.count()).toBe(expected.faces.reduce((s, f) => s + f.votes.length, 0));
    expect(await t.db.goldLabel.count()).toBe(expected.faces.filter((f) => f.gold).length);
    // The annotation queue: faces nobody has voted on yet.
    expect(
      await t.db.image.count({ where: { datasetId: ds.id, votes: { none: {} } } }),
    ).toBeGreaterThanOrEqual(150);
    // Same pixels as the generator: the dataset is reproducible from its seed.
    const one = await t.db.image.findFirstOrThrow({ where: { externalId: expected.faces[0]!.id } });
    expect(one.sha256).toBe(sha256Hex(expected.faces[0]!.pixels));

    const second = await seedDemo(t.db, { seed: 7 });
    expect(second.users.every((u) => u.status === "unchanged" && u.password === undefined)).toBe(true);
    expect(second.datasets).toEqual([{ slug: SYNTHETIC_SLUG, status: "unchanged" }]);
    expect(second.summary.join("\n")).not.toMatch(/password/);
  }, 180_000);
});

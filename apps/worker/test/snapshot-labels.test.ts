import { FERPLUS_EMOTIONS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotLabels } from "../src/jobs/snapshot-labels";
import { loadTrainData } from "../src/train-data";
import { createFixture, type TFixture } from "./fixtures";

let t: TTestDatabase;
let fx: TFixture;

beforeAll(async () => {
  t = await createTestDatabase("concord_worker_snap");
  fx = await createFixture(t.db, { TRAIN: 32, VALID: 16, TEST: 16 });
});
afterAll(async () => t?.drop());

describe("snapshot-labels", () => {
  it("writes one SoftLabel per voted image, FER+ majority excluding unknown-topped faces", async () => {
    const r = await snapshotLabels(t.db, { datasetId: fx.datasetId, method: "ferplus-majority", params: {} });
    expect(r.created).toBe(true);
    expect(r.items).toBe(64);
    const rows = await t.db.softLabel.findMany({
      where: { snapshotId: r.snapshotId },
      include: { image: { select: { externalId: true } } },
    });
    expect(rows).toHaveLength(64);
    const byName = new Map(rows.map((row) => [row.image.externalId, row]));
    // img0: class 0 (neutral) with 7-9 tally votes + 2 identified votes -> neutral, one-hot under majority.
    expect(byName.get("img0")?.label).toBe("neutral");
    expect(byName.get("img0")?.probs[0]).toBeCloseTo(1, 6);
    // img15: unknown-topped -> excluded (label null), raw crowd distribution kept.
    expect(byName.get("img15")?.label).toBeNull();
    const snap = await t.db.labelSnapshot.findUniqueOrThrow({ where: { id: r.snapshotId } });
    expect((snap.stats as { excluded: number }).excluded).toBe(4);
    expect((snap.stats as { numWorkers: number }).numWorkers).toBe(2);
  });

  it("is idempotent on the same votes and parameters", async () => {
    const a = await snapshotLabels(t.db, { datasetId: fx.datasetId, method: "ferplus-majority", params: {} });
    expect(a.created).toBe(false);
    const b = await snapshotLabels(t.db, {
      datasetId: fx.datasetId,
      method: "ds",
      params: { eps: 0.2, q: "crowd" },
    });
    expect(b.created).toBe(true);
    const row = await t.db.softLabel.findFirstOrThrow({
      where: { snapshotId: b.snapshotId, label: "happiness" },
    });
    // (1 - eps) * onehot + eps * q: the consensus entry is at least 0.8.
    expect(row.probs[1]!).toBeGreaterThanOrEqual(0.8);
    expect(row.probs.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 6);
    // Dawid-Skene stores each identified annotator's confusion matrix, rows [true][observed] summing to 1.
    const ds = await t.db.labelSnapshot.findUniqueOrThrow({ where: { id: b.snapshotId } });
    const confusion = (ds.stats as { workerConfusion: Record<string, number[][]> }).workerConfusion;
    const matrices = Object.values(confusion);
    expect(matrices).toHaveLength(2);
    for (const m of matrices) {
      expect(m).toHaveLength(10);
      for (const r of m) expect(r.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 6);
    }
  });

  it("refuses bad parameters and unknown datasets without writing", async () => {
    const before = await t.db.labelSnapshot.count();
    await expect(
      snapshotLabels(t.db, { datasetId: fx.datasetId, method: "mv", params: { eps: 2 } }),
    ).rejects.toThrow(/eps/);
    await expect(snapshotLabels(t.db, { datasetId: "nope", method: "mv", params: {} })).rejects.toThrow(
      /not found/,
    );
    const empty = await t.db.dataset.create({
      data: { slug: `empty-${Date.now()}`, name: "empty", source: "GENERIC", taxonomy: ["a", "b"] },
    });
    await expect(snapshotLabels(t.db, { datasetId: empty.id, method: "mv", params: {} })).rejects.toThrow(
      /no votes or imported tallies/,
    );
    expect(await t.db.labelSnapshot.count()).toBe(before);
  });

  it("builds the trainer data: 8 emotion classes, soft targets, majority-labelled valid/test", async () => {
    const r = await snapshotLabels(t.db, {
      datasetId: fx.datasetId,
      method: "ferplus-probability",
      params: {},
    });
    const { data, counts } = await loadTrainData(
      t.db,
      { datasetId: fx.datasetId, snapshotId: r.snapshotId },
      { scheme: "probability", eps: 0, maxTrainImages: 0 },
    );
    expect(data.classNames).toEqual([...FERPLUS_EMOTIONS]); // unknown and not-a-face are never trained on
    expect(counts).toEqual({ train: 30, valid: 15, test: 15 });
    expect(data.train.pixels.length).toBe(30 * 2304);
    expect(data.train.targets.length).toBe(30 * 8);
    for (let i = 0; i < 30; i++) {
      const row = data.train.targets.subarray(i * 8, i * 8 + 8);
      expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
    }
    expect(Array.from(data.valid!.labels.slice(0, 4))).toEqual([0, 1, 2, 3]);
    const capped = await loadTrainData(
      t.db,
      { datasetId: fx.datasetId, snapshotId: r.snapshotId },
      { scheme: "majority", eps: 0.1, maxTrainImages: 10 },
    );
    expect(capped.counts.train).toBe(10);
    // majority + eps 0.1: (1 - 0.1) * onehot(label) + 0.1 * q, so the label's entry is >= 0.9.
    const { targets, labels } = capped.data.train;
    for (let i = 0; i < 10; i++) {
      expect(targets[i * 8 + labels[i]!]!).toBeGreaterThanOrEqual(0.9 - 1e-6);
      expect(targets.subarray(i * 8, i * 8 + 8).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});

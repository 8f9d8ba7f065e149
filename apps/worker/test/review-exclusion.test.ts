// Review exclusions (issue 12) in the training input: an image with an active EXCLUDE action is not an item of
// the next snapshot nor of the trainer's TRAIN set; its votes change nothing else; revoking the action gives
// back the snapshot of the same data. Valid/test majority labels keep it (the evaluation protocol).
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotLabels } from "../src/jobs/snapshot-labels";
import { loadTrainData } from "../src/train-data";
import { createFixture, type TFixture } from "./fixtures";

let t: TTestDatabase;
let fx: TFixture;

beforeAll(async () => {
  t = await createTestDatabase("concord_worker_review");
  fx = await createFixture(t.db, { TRAIN: 16, VALID: 8, TEST: 0 });
});
afterAll(async () => t?.drop());

const snapshot = () =>
  snapshotLabels(t.db, { datasetId: fx.datasetId, method: "ferplus-probability", params: {} });

const itemsOf = async (snapshotId: string) =>
  (await t.db.softLabel.findMany({ where: { snapshotId }, select: { imageId: true } }))
    .map((r) => r.imageId)
    .sort();

describe("images excluded by review", () => {
  it("are left out of the next snapshot and training data, and come back when the exclusion is revoked", async () => {
    const before = await snapshot();
    const all = await itemsOf(before.snapshotId);
    expect(all).toHaveLength(24);
    const images = await t.db.image.findMany({
      where: { datasetId: fx.datasetId },
      orderBy: { externalId: "asc" },
      select: { id: true, externalId: true, split: true },
    });
    const trainVictim = images.find((i) => i.externalId === "img0")!; // voted by both annotators
    const validVictim = images.find((i) => i.split === "VALID")!;
    const admin = await t.db.user.create({
      data: { email: "review-admin@t.local", name: "admin", passwordHash: "x", role: "ADMIN" },
    });
    const actions = await Promise.all(
      [trainVictim, validVictim].map((i) =>
        t.db.imageAction.create({ data: { imageId: i.id, kind: "EXCLUDE", createdById: admin.id } }),
      ),
    );
    // An ACCEPT or a revoked EXCLUDE excludes nothing.
    const other = images.find((i) => i.externalId === "img1")!;
    await t.db.imageAction.create({ data: { imageId: other.id, kind: "ACCEPT", createdById: admin.id } });
    await t.db.imageAction.create({
      data: { imageId: other.id, kind: "EXCLUDE", createdById: admin.id, revokedAt: new Date() },
    });

    const after = await snapshot();
    expect(after.created).toBe(true);
    expect(after.snapshotId).not.toBe(before.snapshotId);
    expect(await itemsOf(after.snapshotId)).toEqual(
      all.filter((id) => id !== trainVictim.id && id !== validVictim.id),
    );
    const stats = (await t.db.labelSnapshot.findUniqueOrThrow({ where: { id: after.snapshotId } })).stats as {
      numWorkers: number;
      numVotes: number;
    };
    const beforeStats = (await t.db.labelSnapshot.findUniqueOrThrow({ where: { id: before.snapshotId } }))
      .stats as { numVotes: number };
    expect(stats.numVotes).toBe(beforeStats.numVotes - 2); // img0's two identified votes

    const { data } = await loadTrainData(
      t.db,
      { datasetId: fx.datasetId, snapshotId: after.snapshotId },
      { scheme: "probability", eps: 0, maxTrainImages: 0 },
    );
    const { data: beforeData } = await loadTrainData(
      t.db,
      { datasetId: fx.datasetId, snapshotId: before.snapshotId },
      { scheme: "probability", eps: 0, maxTrainImages: 0 },
    );
    expect(data.train.labels.length).toBe(beforeData.train.labels.length - 1);
    // The evaluation split is untouched: valid majority labels still count the excluded valid face.
    expect(data.valid?.labels.length).toBe(beforeData.valid?.labels.length);

    await t.db.imageAction.updateMany({
      where: { id: { in: actions.map((a) => a.id) } },
      data: { revokedAt: new Date(), revokedById: admin.id },
    });
    const revoked = await snapshot();
    expect(revoked).toMatchObject({ snapshotId: before.snapshotId, created: false });
  });
});

// Snapshot requests as rows (SnapshotJob), annotator exclusions in the crowd input, and eps in every scheme's
// training target: against a fresh migrated Postgres, no queue (the job functions are called directly).
import { FERPLUS_EMOTIONS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { RUN_SCHEMES } from "@concord/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCrowdInput } from "../src/crowd-input";
import { runSnapshotJob } from "../src/jobs/snapshot-job";
import { snapshotLabels } from "../src/jobs/snapshot-labels";
import { loadTrainData } from "../src/train-data";
import { createFixture, type TFixture } from "./fixtures";

let t: TTestDatabase;
let fx: TFixture;
let spammer = "";
const job = (attemptsMade = 0) => ({ id: "j1", attemptsMade, attempts: 2, updateProgress: () => {} });

beforeAll(async () => {
  t = await createTestDatabase("concord_worker_snapjobs");
  fx = await createFixture(t.db, { TRAIN: 24, VALID: 8, TEST: 0 });
  spammer = (await t.db.user.create({ data: { email: "spam@t.local", name: "spam", passwordHash: "x" } })).id;
  const images = await t.db.image.findMany({ where: { datasetId: fx.datasetId }, orderBy: { id: "asc" } });
  // The spammer answers "contempt" to everything.
  await t.db.vote.createMany({
    data: images.map((im) => ({ imageId: im.id, annotatorId: spammer, label: "contempt" })),
  });
});
afterAll(async () => t?.drop());

const row = (params: object = {}) =>
  t.db.snapshotJob.create({ data: { datasetId: fx.datasetId, method: "ds", params } });

describe("SnapshotJob rows", () => {
  it("go QUEUED -> RUNNING -> SUCCEEDED with the snapshot; an identical request reuses it", async () => {
    const a = await row();
    const r = await runSnapshotJob(
      t.db,
      { datasetId: fx.datasetId, method: "ds", params: {}, snapshotJobId: a.id },
      job(),
    );
    expect(await t.db.snapshotJob.findUniqueOrThrow({ where: { id: a.id } })).toMatchObject({
      status: "SUCCEEDED",
      snapshotId: r.snapshotId,
      reused: false,
      jobId: "j1",
      attempts: 1,
      progress: { stage: "done" },
    });
    const b = await row();
    await runSnapshotJob(
      t.db,
      { datasetId: fx.datasetId, method: "ds", params: {}, snapshotJobId: b.id },
      job(),
    );
    expect(await t.db.snapshotJob.findUniqueOrThrow({ where: { id: b.id } })).toMatchObject({
      status: "SUCCEEDED",
      snapshotId: r.snapshotId,
      reused: true,
    });
    // A finished row is never run again (a late duplicate job).
    await expect(
      runSnapshotJob(t.db, { datasetId: fx.datasetId, method: "ds", params: {}, snapshotJobId: b.id }, job()),
    ).rejects.toThrow(/is succeeded/);
  });

  it("go back to QUEUED between attempts and FAILED with the reason after the last", async () => {
    const bad = await row({ eps: 2 });
    const payload = {
      datasetId: fx.datasetId,
      method: "ds" as const,
      params: { eps: 2 },
      snapshotJobId: bad.id,
    };
    await expect(runSnapshotJob(t.db, payload, job(0))).rejects.toThrow(/eps/);
    expect(await t.db.snapshotJob.findUniqueOrThrow({ where: { id: bad.id } })).toMatchObject({
      status: "QUEUED",
      error: expect.stringMatching(/^attempt 1 failed .*retrying$/s),
    });
    await expect(runSnapshotJob(t.db, payload, job(1))).rejects.toThrow(/eps/);
    const failed = await t.db.snapshotJob.findUniqueOrThrow({ where: { id: bad.id } });
    expect(failed).toMatchObject({ status: "FAILED", attempts: 2, error: expect.stringMatching(/eps/) });
    expect(failed.finishedAt).not.toBeNull();
  });
});

describe("annotator exclusions", () => {
  it("leave the excluded annotator's votes out of the next snapshot, recorded in its stats; revoking restores", async () => {
    const before = await snapshotLabels(t.db, { datasetId: fx.datasetId, method: "ds", params: {} });
    const statsOf = async (id: string) =>
      (await t.db.labelSnapshot.findUniqueOrThrow({ where: { id } })).stats as {
        numVotes: number;
        numWorkers: number;
        workerSkill: Record<string, number>;
        excludedAnnotators: { annotatorId: string; votes: number }[];
      };
    const s0 = await statsOf(before.snapshotId);
    expect(s0.workerSkill[spammer]).toBeLessThan(0.3);
    expect(s0.excludedAnnotators).toEqual([]);

    const exclusion = await t.db.annotatorExclusion.create({
      data: { annotatorId: spammer, reason: "spam" },
    });
    const after = await snapshotLabels(t.db, { datasetId: fx.datasetId, method: "ds", params: {} });
    expect(after.created).toBe(true);
    expect(after.snapshotId).not.toBe(before.snapshotId);
    const s1 = await statsOf(after.snapshotId);
    expect(s1.numVotes).toBe(s0.numVotes - 32);
    expect(s1.numWorkers).toBe(s0.numWorkers - 1);
    expect(s1.workerSkill[spammer]).toBeUndefined();
    expect(s1.excludedAnnotators).toEqual([{ annotatorId: spammer, exclusionId: exclusion.id, votes: 32 }]);
    // The majority labels a run evaluates on skip them too.
    expect((await loadCrowdInput(t.db, fx.datasetId, ["VALID"])).workerIds).not.toContain(spammer);

    // At most one active exclusion per annotator (partial unique index).
    await expect(t.db.annotatorExclusion.create({ data: { annotatorId: spammer } })).rejects.toThrow();
    await t.db.annotatorExclusion.update({ where: { id: exclusion.id }, data: { revokedAt: new Date() } });
    const again = await snapshotLabels(t.db, { datasetId: fx.datasetId, method: "ds", params: {} });
    expect(again).toMatchObject({ snapshotId: before.snapshotId, created: false });
    await t.db.annotatorExclusion.create({ data: { annotatorId: spammer } }); // a new active row is allowed
    await t.db.annotatorExclusion.deleteMany({});
  });
});

describe("eps in every scheme's target", () => {
  it("is (1 - eps) * onehot + eps * q with q = the snapshot's soft label, or the vote shares for majority", async () => {
    const snap = await snapshotLabels(t.db, {
      datasetId: fx.datasetId,
      method: "ferplus-crossentropy",
      params: {},
    });
    const soft = await t.db.softLabel.findMany({
      where: { snapshotId: snap.snapshotId, label: { not: null }, image: { split: "TRAIN" } },
      orderBy: { imageId: "asc" },
    });
    const crowd = await loadCrowdInput(t.db, fx.datasetId, ["TRAIN"]);
    const C = 8;
    for (const scheme of RUN_SCHEMES) {
      for (const eps of [0, 0.4, 1]) {
        const { data, trainIds } = await loadTrainData(
          t.db,
          { datasetId: fx.datasetId, snapshotId: snap.snapshotId },
          { scheme, eps, maxTrainImages: 0 },
        );
        expect(data.classNames).toEqual([...FERPLUS_EMOTIONS]);
        expect(data.train.labels.length).toBe(soft.length);
        // Rows follow trainIds (externalId order), not the snapshot's imageId order.
        const softOf = new Map(soft.map((s) => [s.imageId, s]));
        trainIds.forEach((id, k) => {
          const s = softOf.get(id)!;
          const y = data.train.labels[k]!;
          let q = s.probs.slice(0, C);
          if (scheme === "majority") {
            q = counts(crowd.imageIds.indexOf(s.imageId)).slice(0, C);
          }
          const sum = q.reduce((a, b) => a + b, 0);
          for (let c = 0; c < C; c++)
            expect(data.train.targets[k * C + c]).toBeCloseTo(
              (c === y ? 1 - eps : 0) + (eps * q[c]!) / sum,
              5,
            );
        });
      }
    }
    function counts(i: number): number[] {
      const out = new Array<number>(crowd.taxonomy.length).fill(0);
      for (let k = 0; k < crowd.set.numVotes; k++)
        if (crowd.set.voteItem[k] === i) out[crowd.set.voteLabel[k]!]! += 1;
      const tallies = crowd.set.tallies;
      if (tallies) for (let c = 0; c < out.length; c++) out[c]! += tallies[i * out.length + c]!;
      return out;
    }
  });
});

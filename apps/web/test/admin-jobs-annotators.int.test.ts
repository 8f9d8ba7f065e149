// Integration: the jobs list, snapshot requests as rows, annotator exclusions and flags, the annotators
// export and the vote counts behind Dawid-Skene matrices, against a fresh migrated Postgres and the real
// Redis (unique queue prefix).
import { randomBytes } from "node:crypto";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { createJobsClient, type TJobsClient } from "@concord/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDatabase;
const ids: Record<string, string> = {};
const g = globalThis as unknown as { concordDb?: unknown; concordJobs?: TJobsClient };
const LABELS = ["a", "b", "c", "d"];

beforeAll(async () => {
  t = await createTestDatabase("concord_web_jobs");
  g.concordDb = t.db;
  g.concordJobs = createJobsClient({ prefix: `webjobs-${randomBytes(4).toString("hex")}` });
  const db = t.db;
  const ds = await db.dataset.create({
    data: { slug: "crowd", name: "Crowd", source: "SYNTHETIC", taxonomy: LABELS },
  });
  ids.ds = ds.id;
  const user = async (name: string, role: "ANNOTATOR" | "ADMIN" = "ANNOTATOR") =>
    (await db.user.create({ data: { email: `${name}@t.local`, name, passwordHash: "x", role } })).id;
  ids.admin = await user("Ada Admin", "ADMIN");
  for (const n of ["good1", "good2", "good3", "spam"]) ids[n] = await user(n);
  // 40 images, true label i % 4; three good annotators agree, the spammer answers "d" in 50-150 ms.
  for (let i = 0; i < 40; i++) {
    const im = await db.image.create({
      data: {
        datasetId: ds.id,
        split: "TRAIN",
        externalId: `i${i}`,
        sha256: String(i).padStart(64, "0"),
        phash: "0".repeat(16),
        pixels: new Uint8Array(48 * 48),
      },
    });
    const truth = LABELS[i % 4]!;
    for (const [n, ms] of [
      ["good1", 1800],
      ["good2", 2500],
      ["good3", 1200],
    ] as const)
      await db.vote.create({ data: { imageId: im.id, annotatorId: ids[n]!, label: truth, durationMs: ms } });
    await db.vote.create({
      data: { imageId: im.id, annotatorId: ids.spam!, label: "d", durationMs: 50 + (i % 3) * 50 },
    });
  }
});

afterAll(async () => {
  for (const q of ["labels", "train", "train-gpu", "evaluate"] as const)
    await g.concordJobs?.queue(q).obliterate({ force: true });
  await g.concordJobs?.close();
  await t?.drop();
});

describe("snapshot requests and the jobs list", () => {
  it("a snapshot request is a QUEUED row and a job pointing at it; the jobs list shows it with a failed run", async () => {
    const { createSnapshot, retrySnapshotJob } = await import("../src/server/snapshots/snapshots");
    const { listJobs } = await import("../src/server/jobs/jobs");
    const req = await createSnapshot({ datasetId: ids.ds!, method: "ds", eps: 0, q: "crowd" }, ids.admin!);
    const row = await t.db.snapshotJob.findUniqueOrThrow({ where: { id: req.id } });
    expect(row).toMatchObject({
      status: "QUEUED",
      method: "ds",
      params: { eps: 0, q: "crowd" },
      jobId: req.jobId,
    });
    const job = await g.concordJobs!.queue("labels").getJob(req.jobId);
    expect(job?.data).toMatchObject({ datasetId: ids.ds, method: "ds", snapshotJobId: req.id });
    await expect(retrySnapshotJob(req.id, ids.admin!)).rejects.toMatchObject({ status: 409 });

    const failed = await t.db.trainingRun.create({
      data: {
        datasetId: ids.ds!,
        config: { datasetId: ids.ds!, epochs: 5, patience: 0 },
        seed: 1,
        status: "FAILED",
        error: "dataset has no votes",
        finishedAt: new Date(),
      },
    });
    const running = await t.db.trainingRun.create({
      data: {
        datasetId: ids.ds!,
        name: "long",
        config: { datasetId: ids.ds!, epochs: 10, patience: 0 },
        seed: 1,
        status: "RUNNING",
        currentEpoch: 2,
        progress: { phase: "training", batch: 5, batches: 10 },
        epochs: {
          create: [1, 2].map((epoch) => ({
            epoch,
            trainLoss: 1,
            trainAccuracy: 0.5,
            learningRate: 0.001,
            imagesPerSec: 100,
            durationMs: 60_000,
          })),
        },
      },
    });
    const predicting = await t.db.predictionSet.create({
      data: {
        datasetId: ids.ds!,
        runId: failed.id,
        scheme: "cross-fit",
        folds: 5,
        status: "RUNNING",
        progress: { phase: "predicting", fold: 2, folds: 5, done: 500, total: 1500, imagesPerSec: 100 },
      },
    });
    const all = await listJobs();
    expect(all.isActive).toBe(true);
    expect(all.counts).toMatchObject({ QUEUED: 1, RUNNING: 2, FAILED: 1 });
    // Running first, then queued, then the rest.
    expect(all.rows.map((r) => `${r.kind}:${r.status}`)).toEqual([
      "prediction:RUNNING",
      "run:RUNNING",
      "snapshot:QUEUED",
      "run:FAILED",
    ]);
    expect(all.rows[0]).toMatchObject({
      id: predicting.id,
      title: `cross-fit predictions of run ${failed.id.slice(-6)}`,
      detail: "predicting · fold 2 / 5 · 500 / 1,500 images",
      eta: "~10 s of predicting left",
      retryUrl: null,
    });
    await t.db.predictionSet.update({ where: { id: predicting.id }, data: { status: "FAILED" } });
    expect((await listJobs("FAILED")).rows.find((r) => r.kind === "prediction")).toMatchObject({
      retryUrl: `/api/predictions/${predicting.id}/resume`,
      retryLabel: "Resume",
    });
    await t.db.predictionSet.delete({ where: { id: predicting.id } });
    all.rows.shift();
    expect(all.rows[0]).toMatchObject({
      id: running.id,
      detail: "epoch 2 / 10 · training · batch 5/10",
      eta: "~8 min left (7.5 epochs at 1 min each)",
    });
    expect(all.rows[1]).toMatchObject({
      id: req.id,
      detail: "waiting for a worker (queue: labels)",
      retryUrl: null,
    });
    expect(all.rows[2]).toMatchObject({
      id: failed.id,
      error: "dataset has no votes",
      retryUrl: `/api/runs/${failed.id}/retry`,
    });
    expect((await listJobs("FAILED")).rows.map((r) => r.id)).toEqual([failed.id]);
    expect(Array.isArray(all.queues) && all.queues.find((q) => q.name === "labels")?.waiting).toBe(1);

    // A failed snapshot request is retried as a new request with the same method and parameters.
    await t.db.snapshotJob.update({ where: { id: req.id }, data: { status: "FAILED", error: "boom" } });
    const again = await retrySnapshotJob(req.id, ids.admin!);
    expect(await t.db.snapshotJob.findUniqueOrThrow({ where: { id: again.id } })).toMatchObject({
      status: "QUEUED",
      method: "ds",
      params: { eps: 0, q: "crowd" },
    });
    await t.db.trainingRun.deleteMany({});
  });

  it("deletes the row again when the queue refuses (Redis down): no orphan queued request", async () => {
    const { createSnapshot } = await import("../src/server/snapshots/snapshots");
    const before = await t.db.snapshotJob.count();
    const real = g.concordJobs;
    g.concordJobs = createJobsClient({ redisUrl: "redis://127.0.0.1:1", prefix: "never" });
    try {
      await expect(
        createSnapshot({ datasetId: ids.ds!, method: "mv", eps: 0, q: "crowd" }, ids.admin!),
      ).rejects.toMatchObject({ name: "QueueUnavailableError" });
    } finally {
      await g.concordJobs.close();
      g.concordJobs = real;
    }
    expect(await t.db.snapshotJob.count()).toBe(before);
  });
});

describe("annotator management", () => {
  it("flags the spammer (low agreement, too fast) and nobody else", async () => {
    const { annotatorQuality } = await import("../src/server/annotators/quality");
    const q = await annotatorQuality();
    const flagged = Object.fromEntries(q.map((r) => [r.annotatorId, r.flags.map((f) => f.kind)]));
    expect(flagged[ids.spam!]).toEqual(["low-agreement", "too-fast"]);
    for (const n of ["good1", "good2", "good3"]) expect(flagged[ids[n]!]).toEqual([]);
    const spam = q.find((r) => r.annotatorId === ids.spam)!;
    expect(spam).toMatchObject({
      votes: 40,
      timedVotes: 40,
      fastVotes: 40,
      datasetName: "Crowd",
      skill: null,
    });
  });

  it("uses the latest Dawid-Skene snapshot's skill and shows the votes behind its confusion matrix", async () => {
    const workerConfusion = Object.fromEntries(
      ["good1", "good2", "good3", "spam"].map((n) => [
        ids[n]!,
        LABELS.map((_, r) => LABELS.map((_, c) => (n === "spam" ? (c === 3 ? 1 : 0) : r === c ? 1 : 0))),
      ]),
    );
    const snap = await t.db.labelSnapshot.create({
      data: {
        datasetId: ids.ds!,
        method: "ds",
        params: {},
        contentHash: "h1",
        stats: { workerSkill: { [ids.spam!]: 0.25, [ids.good1!]: 0.97 }, workerConfusion },
      },
    });
    const images = await t.db.image.findMany({ where: { datasetId: ids.ds } });
    await t.db.softLabel.createMany({
      data: images.map((im) => {
        const y = Number(im.externalId.slice(1)) % 4;
        return {
          snapshotId: snap.id,
          imageId: im.id,
          probs: LABELS.map((_, c) => (c === y ? 1 : 0)),
          label: LABELS[y]!,
        };
      }),
    });
    const { annotatorQuality } = await import("../src/server/annotators/quality");
    const spam = (await annotatorQuality(ids.spam)).at(0)!;
    expect(spam.skill).toBe(0.25);
    expect(spam.skillSource).toMatchObject({ snapshotId: snap.id, method: "ds" });
    expect(spam.flags.map((f) => f.kind)).toEqual(["low-skill", "low-agreement", "too-fast"]);

    const { getAnnotatorConfusions } = await import("../src/server/agreement/agreement");
    const c = await getAnnotatorConfusions(ids.ds!, "ALL", [ids.spam!, ids.good1!]);
    expect(c.kind).toBe("ds");
    // The spammer said "d" to all 40 images: 10 per consensus class, all in column d.
    expect(c.counts[ids.spam!]).toEqual([
      [0, 0, 0, 10],
      [0, 0, 0, 10],
      [0, 0, 0, 10],
      [0, 0, 0, 10],
    ]);
    expect(c.counts[ids.good1!]![2]).toEqual([0, 0, 10, 0]);
  });

  it("excludes and includes again, recorded with who and when; refuses a second exclusion and unknown users", async () => {
    const { excludeAnnotator, includeAnnotator, exclusionHistory, activeExclusions } = await import(
      "../src/server/annotators/exclusions"
    );
    await excludeAnnotator(ids.admin!, ids.spam!, "random answers");
    await expect(excludeAnnotator(ids.admin!, ids.spam!, "")).rejects.toMatchObject({ status: 409 });
    await expect(excludeAnnotator(ids.admin!, "nobody", "")).rejects.toMatchObject({ status: 404 });
    expect([...(await activeExclusions()).keys()]).toEqual([ids.spam]);
    await includeAnnotator(ids.admin!, ids.spam!);
    await expect(includeAnnotator(ids.admin!, ids.spam!)).rejects.toMatchObject({ status: 409 });
    await expect(includeAnnotator(ids.admin!, "nobody")).rejects.toMatchObject({ status: 404 });
    await excludeAnnotator(ids.admin!, ids.spam!, "again");
    const history = await exclusionHistory(ids.spam!);
    expect(history.map((h) => [h.reason, h.createdBy, h.revokedBy])).toEqual([
      ["again", "Ada Admin", null],
      ["random answers", "Ada Admin", "Ada Admin"],
    ]);
    expect(history[1]!.revokedAt).not.toBeNull();
  });
});

describe("exports", () => {
  it("puts names beside ids only on request, and lists annotators in a separate file", async () => {
    const { exportAnnotators, exportVotes } = await import("../src/server/datasets/votes-export");
    const plain = (await (await exportVotes(ids.ds!, "csv")).text()).split("\r\n");
    expect(plain[0]).toBe("image,split,source,annotator,label,count,durationMs,createdAt");
    expect(plain.join("\n")).not.toContain("good1");
    const named = (await (await exportVotes(ids.ds!, "csv", { names: true })).text()).split("\r\n");
    expect(named[0]).toBe("image,split,source,annotator,annotatorName,label,count,durationMs,createdAt");
    expect(named.find((l) => l.includes(ids.spam!))).toMatch(
      new RegExp(`^i\\d+,TRAIN,vote,${ids.spam},spam,d,1,`),
    );

    const res = await exportAnnotators(ids.ds!, "csv");
    expect(res.headers.get("content-disposition")).toContain("crowd-annotators.csv");
    const lines = (await res.text()).trim().split("\r\n");
    expect(lines[0]).toBe(
      "annotator,name,votes,agreement,comparableVotes,goldAnswered,goldAccuracy,skill,skillMethod,medianMs,timedVotes,fastVotes,flags,excludedSince",
    );
    expect(lines).toHaveLength(5);
    const spam = lines.find((l) => l.startsWith(ids.spam!))!.split(",");
    expect(spam.slice(1, 3)).toEqual(["spam", "40"]);
    expect(spam[12]).toBe("low-skill;low-agreement;too-fast");
    expect(spam[13]).toMatch(/^\d{4}-\d\d-\d\dT/);
    const json = JSON.parse(await (await exportAnnotators(ids.ds!, "json")).text());
    expect(json.annotators).toHaveLength(4);
  });
});

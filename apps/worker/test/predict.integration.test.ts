// Stored predictions on a real worker process against the running Postgres and Redis: a run with
// predictAfter "cross-fit" launches a predict job that stores one row per image (every split, unvoted
// faces too); TRAIN rows come from fold models that never trained on them (shown on faces whose random
// label only a model that trained on the face can know, see createCellFixture); an in-sample set of the same
// run is flagged as such; a cancelled set resumes from its rows and fold checkpoint to the same predictions.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FERPLUS_LABELS } from "@concord/crowd";
import type { Prediction } from "@concord/db";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import {
  createJobsClient,
  createRedisConnection,
  type TJobsClient,
  type TPredictProgress,
} from "@concord/jobs";
import {
  crowdAdjustmentOf,
  crowdProbabilities,
  initBackend,
  loadModel,
  predictProbabilities,
} from "@concord/trainer";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pixelsFromDb } from "../src/predictions";
import { createCellFixture } from "./fixtures";
import { createRun, spawnWorker, type TWorkerProc, waitFor } from "./harness";

let t: TTestDatabase;
let fx: Awaited<ReturnType<typeof createCellFixture>>;
let jobs: TJobsClient;
let artifacts: string;
let worker: TWorkerProc;
// Every progress event the predict job published, from BullMQ's event stream: sampling the set's row every
// 100 ms misses the short phases (predicting fold 0 takes a few ms on 34 faces).
let events: QueueEvents;
const progressEvents: TPredictProgress[] = [];
let runId = "";
let crossFit: Prediction[] = [];
const prefix = `concord-ptest-${randomBytes(4).toString("hex")}`;
const LABELLED = { TRAIN: 24, VALID: 6, TEST: 4 };
const UNVOTED = { TRAIN: 3, VALID: 2, TEST: 0 };

const rowsOf = (setId: string) => t.db.prediction.findMany({ where: { setId }, orderBy: { imageId: "asc" } });

async function waitSet(setId: string, statuses: string[], timeoutMs = 180_000) {
  return waitFor(
    `prediction set ${setId} in ${statuses.join("/")}`,
    async () => {
      const s = await t.db.predictionSet.findUniqueOrThrow({ where: { id: setId } });
      return statuses.includes(s.status) ? s : null;
    },
    timeoutMs,
  );
}

// As the web launches one for this run: without TTA (its stored config predates the lever, so ttaEval is off).
async function launchSet(scheme: "in-sample" | "cross-fit", folds = 2, tta = false) {
  const set = await t.db.predictionSet.create({
    data: { datasetId: fx.datasetId, runId, scheme, folds: scheme === "cross-fit" ? folds : 1, tta },
  });
  await jobs.predict({ setId: set.id });
  return set;
}

function expectClose(a: number[], b: number[]) {
  expect(a).toHaveLength(b.length);
  for (let c = 0; c < a.length; c++) expect(a[c]).toBeCloseTo(b[c]!, 5);
}

/** Mean probability a set gives each labelled TRAIN face's own (random) label. */
function meanOwnLabel(rows: Prediction[], ids: Set<string>) {
  const own = rows.filter((r) => ids.has(r.imageId)).map((r) => r.probs[fx.labelOf.get(r.imageId)!]!);
  return own.reduce((a, b) => a + b, 0) / own.length;
}

beforeAll(async () => {
  await initBackend("wasm", { quiet: true });
  t = await createTestDatabase("concord_worker_predict");
  fx = await createCellFixture(t.db, LABELLED, UNVOTED);
  jobs = createJobsClient({ prefix });
  events = new QueueEvents("train", { connection: createRedisConnection(), prefix });
  events.on("progress", ({ data }) => {
    if (data && typeof data === "object") progressEvents.push(data as TPredictProgress);
  });
  await events.waitUntilReady();
  artifacts = mkdtempSync(join(tmpdir(), "concord-predict-"));
  worker = spawnWorker({
    DATABASE_URL: t.url,
    CONCORD_QUEUE_PREFIX: prefix,
    CONCORD_ARTIFACTS_DIR: artifacts,
  });
});

afterAll(async () => {
  if (process.env.DEBUG_WORKER_LOGS) console.log(worker?.logs.join("\n"));
  if (worker?.proc.exitCode === null) worker.proc.kill("SIGKILL");
  for (const name of ["labels", "train", "train-gpu", "evaluate"] as const)
    await jobs?.queue(name).obliterate({ force: true });
  await jobs?.close();
  await events?.close();
  await t?.drop();
  if (artifacts) rmSync(artifacts, { recursive: true, force: true });
});

describe("predict jobs on a real worker", () => {
  it("a run with predictAfter cross-fit stores one out-of-sample row per image, TRAIN rows from fold models", async () => {
    // Enough epochs to memorise 24 faces; no early stopping (VALID labels are random too).
    const run = await createRun(t.db, fx.datasetId, {
      epochs: 12,
      batchSize: 8,
      learningRate: 0.01,
      scheme: "majority",
      predictAfter: "cross-fit",
      predictFolds: 2,
    });
    runId = run.id;
    await jobs.train({ runId });
    const set = await waitFor(
      "the auto-launched set",
      () => t.db.predictionSet.findFirst({ where: { runId } }),
      180_000,
    );
    // The stored config has no ttaEval (it predates the lever: off), so neither has its set.
    expect(set).toMatchObject({ scheme: "cross-fit", folds: 2, datasetId: fx.datasetId, tta: false });
    const done = await waitSet(set.id, ["SUCCEEDED", "FAILED"]);
    expect(done.error, worker.logs.slice(-30).join("\n")).toBeNull();
    expect(done.status).toBe("SUCCEEDED");
    expect(done.predicted).toBe(fx.total);
    expect(done.imagesPerSec).toBeGreaterThan(0);
    // Inference ran on the kernels the run trained on (same worker): "wasm+openblas" here.
    const trainedOn = (await t.db.trainingRun.findUniqueOrThrow({ where: { id: runId } })).backend;
    expect(done.backend).toMatch(/^wasm(\+openblas|\+builtin-sgemm)?$/);
    expect(done.backend).toBe(trainedOn);
    // Progress was published per fold while it ran (the event stream is read after the set settled).
    await waitFor("the set's done event", async () =>
      progressEvents.some((p) => p.setId === set.id && p.phase === "done"),
    );
    const seen = new Set(progressEvents.filter((p) => p.setId === set.id).map((p) => `${p.phase}:${p.fold}`));
    expect([...seen]).toEqual(expect.arrayContaining(["predicting:0", "training:1", "training:2"]));

    crossFit = await rowsOf(set.id);
    expect(crossFit).toHaveLength(fx.total);
    const images = await t.db.image.findMany({ where: { datasetId: fx.datasetId } });
    const split = new Map(images.map((i) => [i.id, i.split]));
    expect(crossFit.every((r) => r.outOfSample)).toBe(true);
    // Labelled TRAIN faces: half per fold; everything else (VALID, TEST, unvoted TRAIN) from the run's model.
    const byFold = (f: number | null) => crossFit.filter((r) => r.fold === f);
    expect(byFold(1)).toHaveLength(12);
    expect(byFold(2)).toHaveLength(12);
    expect(byFold(null)).toHaveLength(fx.total - 24);
    expect(
      [...byFold(1), ...byFold(2)].every(
        (r) => split.get(r.imageId) === "TRAIN" && fx.labelOf.has(r.imageId),
      ),
    ).toBe(true);
    for (const r of crossFit) {
      expect(r.probs).toHaveLength(FERPLUS_LABELS.length);
      expect(r.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(r.probs[8]).toBe(0); // unknown and not-a-face are never predicted
      expect(r.probs[9]).toBe(0);
    }
    expect(done.foldModels).toEqual([
      expect.objectContaining({ fold: 1, trainImages: 12, predicted: 12, epochs: 12 }),
      expect.objectContaining({ fold: 2, trainImages: 12, predicted: 12, epochs: 12 }),
    ]);
    expect(existsSync(join(artifacts, "predictions", set.id))).toBe(false);
  }, 400_000);

  it("an in-sample set of the same run flags the faces it trained on; fold models never saw theirs", async () => {
    const set = await launchSet("in-sample");
    const done = await waitSet(set.id, ["SUCCEEDED", "FAILED"]);
    expect(done.error).toBeNull();
    const rows = await rowsOf(set.id);
    expect(rows).toHaveLength(fx.total);
    const trained = new Set(rows.filter((r) => !r.outOfSample).map((r) => r.imageId));
    const labelledTrain = new Set(crossFit.filter((r) => r.fold !== null).map((r) => r.imageId));
    expect(trained).toEqual(labelledTrain);
    expect(rows.every((r) => r.fold === null)).toBe(true);
    // The run's model predicted the same rows in both sets.
    const cf = new Map(crossFit.map((r) => [r.imageId, r]));
    for (const r of rows.filter((x) => cf.get(x.imageId)!.fold === null))
      expectClose(r.probs, cf.get(r.imageId)!.probs);
    // The run's model, which trained on these faces, gives their random labels more mass than the fold models
    // do, which did not: an unseen cell is a coin toss (here 0.71 against 0.53; a fold model that had seen
    // its faces would score like the run's model).
    const inSample = meanOwnLabel(rows, labelledTrain);
    const outOfSample = meanOwnLabel(crossFit, labelledTrain);
    expect(inSample - outOfSample, `in-sample ${inSample}, cross-fit ${outOfSample}`).toBeGreaterThan(0.1);
  }, 200_000);

  it("a run that selected with mirror TTA gets a set with it; such a set predicts face + mirror", async () => {
    const tta = await createRun(t.db, fx.datasetId, { epochs: 1, ttaEval: true, predictAfter: "in-sample" });
    await jobs.train({ runId: tta.id });
    const auto = await waitFor(
      "the TTA run's set",
      () => t.db.predictionSet.findFirst({ where: { runId: tta.id } }),
      180_000,
    );
    expect(auto.tta).toBe(true);
    expect((await waitSet(auto.id, ["SUCCEEDED", "FAILED"])).status).toBe("SUCCEEDED");

    // The first run's model with the flag on: its rows are the mean over face and mirror, so they differ from
    // the same model's rows without it (the fixture's cells are not mirror-symmetric: a mirrored face is
    // another cell, often a memorised one). Without the flag reaching the inference they would be equal.
    const set = await launchSet("in-sample", 1, true);
    expect((await waitSet(set.id, ["SUCCEEDED", "FAILED"])).status).toBe("SUCCEEDED");
    const mirrored = await rowsOf(set.id);
    const plain = new Map(crossFit.filter((r) => r.fold === null).map((r) => [r.imageId, r.probs]));
    const pairs = mirrored.filter((r) => plain.has(r.imageId));
    expect(pairs.length).toBe(fx.total - 24);
    const gaps = pairs.map((r) => {
      const other = plain.get(r.imageId)!;
      return Math.max(...r.probs.map((p, c) => Math.abs(p - other[c]!)));
    });
    // Measured: 13 of 15 faces move by 0.005-0.5; two the model is sure of in both views by ~1e-6.
    expect(gaps.filter((g) => g > 1e-3).length, gaps.join(" ")).toBeGreaterThanOrEqual(pairs.length / 2);
  }, 300_000);

  it("a logit-adjusted run stores the crowd's vote shares: its softmax reweighted by its training prior", async () => {
    const la = await createRun(t.db, fx.datasetId, { epochs: 1, logitAdjust: 1, predictAfter: "in-sample" });
    await jobs.train({ runId: la.id });
    const set = await waitFor(
      "the logit-adjusted run's set",
      () => t.db.predictionSet.findFirst({ where: { runId: la.id } }),
      180_000,
    );
    expect((await waitSet(set.id, ["SUCCEEDED", "FAILED"])).status).toBe("SUCCEEDED");
    const rows = await rowsOf(set.id);
    // The same model, loaded as the job loads it, predicted here: the rows are its softmax reweighted by the
    // prior it saved (FER+ classes 0-7 of the taxonomy; unknown and not-a-face stay 0), not the softmax.
    const run = await t.db.trainingRun.findUniqueOrThrow({ where: { id: la.id } });
    const model = await loadModel(run.artifactPath!);
    const adjustment = crowdAdjustmentOf(model.getUserDefinedMetadata(), 8);
    expect(adjustment.logitAdjustment?.tau).toBe(1);
    expect(adjustment.classWeights).toBeNull();
    const raw = await predictProbabilities(model, await pixelsFromDb(t.db)(rows.map((r) => r.imageId)));
    const crowd = crowdProbabilities(raw, adjustment);
    model.dispose();
    let moved = 0;
    rows.forEach((r, i) => {
      expectClose(r.probs.slice(0, 8), Array.from(crowd.subarray(i * 8, i * 8 + 8)));
      expect(r.probs.slice(8)).toEqual([0, 0]);
      if (Math.max(...r.probs.slice(0, 8).map((p, c) => Math.abs(p - raw[i * 8 + c]!))) > 1e-3) moved++;
    });
    // Without the reweighting the rows would be the raw softmax: every face's row moves.
    expect(moved).toBe(rows.length);
  }, 300_000);

  it("cancel mid-fold -> CANCELLED with its rows and fold checkpoint kept; resumed -> the same predictions", async () => {
    const set = await launchSet("cross-fit");
    await waitFor(
      "fold 1 past its first epoch",
      async () => {
        const p = (await t.db.predictionSet.findUniqueOrThrow({ where: { id: set.id } }))
          .progress as TPredictProgress | null;
        return p?.phase === "training" && p.fold === 1 && (p.epoch ?? 0) >= 2;
      },
      180_000,
    );
    await t.db.predictionSet.update({ where: { id: set.id }, data: { cancelRequested: true } });
    expect((await jobs.requestPredictCancel(set.id)).published).toBe(true);
    const cancelled = await waitSet(set.id, ["CANCELLED", "FAILED", "SUCCEEDED"], 60_000);
    expect(cancelled.status).toBe("CANCELLED");
    expect((cancelled.progress as TPredictProgress).phase).toBe("cancelled");
    const kept = await rowsOf(set.id);
    expect(kept.length).toBe(fx.total - 24); // the run model's rows; no fold finished
    expect(existsSync(join(artifacts, "predictions", set.id, "fold-1"))).toBe(true);

    // Resume as the web does: back to QUEUED, flag cleared, the finished job replaced.
    await t.db.predictionSet.update({
      where: { id: set.id },
      data: { status: "QUEUED", cancelRequested: false, finishedAt: null },
    });
    await jobs.predict({ setId: set.id }, { replaceFinished: true });
    const done = await waitSet(set.id, ["SUCCEEDED", "FAILED", "CANCELLED"]);
    expect(done.status).toBe("SUCCEEDED");
    expect(worker.logs.join("\n")).toMatch(/resumed from .*fold-1 after epoch [1-9]/);
    const rows = await rowsOf(set.id);
    expect(rows.map((r) => [r.imageId, r.fold, r.outOfSample])).toEqual(
      crossFit.map((r) => [r.imageId, r.fold, r.outOfSample]),
    );
    // Resumed fold training ends with the uninterrupted weights (single gradient thread: deterministic).
    rows.forEach((r, i) => {
      expectClose(r.probs, crossFit[i]!.probs);
    });
  }, 400_000);

  it("fails a set whose run has no saved model, once, with the reason", async () => {
    const other = await createRun(t.db, fx.datasetId, {});
    const set = await t.db.predictionSet.create({
      data: { datasetId: fx.datasetId, runId: other.id, scheme: "in-sample" },
    });
    await jobs.predict({ setId: set.id });
    const failed = await waitSet(set.id, ["FAILED", "SUCCEEDED"]);
    expect(failed.error).toMatch(/no saved model/);
    expect(await t.db.prediction.count({ where: { setId: set.id } })).toBe(0);
  });
});

import "server-only";
import { trainableLabels } from "@concord/crowd";
import type { RunStatus, Split } from "@concord/db";
import { isQueueUnavailableError, type TFoldModel } from "@concord/jobs";
import { foldsOf, type TPredictRequest, ttaEvalOfStored } from "@concord/jobs/run-config";
import { db } from "../db";
import { fieldError, HttpError } from "../http";
import { enqueuePredictJob, publishPredictCancel } from "../queue";
import { query } from "../sql";

export type TSplitCount = { split: Split; outOfSample: number; inSample: number };

export type TPredictionSetView = {
  id: string;
  runId: string;
  datasetId: string;
  datasetName: string;
  status: RunStatus;
  scheme: string;
  folds: number;
  /** Each row is the mean over the face and its mirror (the run's ttaEval at creation). */
  tta: boolean;
  progress: Record<string, unknown> | null;
  foldModels: TFoldModel[];
  predicted: number;
  imagesPerSec: number | null;
  backend: string | null;
  error: string | null;
  cancelRequested: boolean;
  attempts: number;
  createdBy: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** Stored rows per split, out-of-sample or not (empty until rows exist). */
  splits: TSplitCount[];
  /** The labels of the probability columns (the model's classes, in taxonomy order). */
  labels: string[];
};

// Rows per set, split and out-of-sample flag. $1 set ids.
const SPLIT_COUNTS = {
  name: "predictions.splitCounts",
  text: `SELECT p."setId" AS "setId", i.split::text AS split, p."outOfSample" AS "outOfSample", count(*)::int AS n
         FROM "Prediction" p JOIN "Image" i ON i.id = p."imageId"
         WHERE p."setId" = ANY($1::text[])
         GROUP BY 1, 2, 3`,
};

const SPLITS: Split[] = ["TRAIN", "VALID", "TEST"];

async function splitCounts(setIds: string[]): Promise<Map<string, TSplitCount[]>> {
  const rows = await query<{ setId: string; split: Split; outOfSample: boolean; n: number }>(SPLIT_COUNTS, [
    setIds,
  ]);
  const out = new Map<string, TSplitCount[]>();
  for (const id of setIds) {
    const mine = rows.filter((r) => r.setId === id);
    const count = (split: Split, oos: boolean) =>
      mine.find((r) => r.split === split && r.outOfSample === oos)?.n ?? 0;
    out.set(
      id,
      SPLITS.map((split) => ({
        split,
        outOfSample: count(split, true),
        inSample: count(split, false),
      })).filter((c) => c.outOfSample + c.inSample > 0),
    );
  }
  return out;
}

const INCLUDE = {
  dataset: { select: { name: true, taxonomy: true } },
  createdBy: { select: { name: true } },
} as const;

type TSetRow = NonNullable<Awaited<ReturnType<typeof findSet>>>;
const findSet = (id: string) => db().predictionSet.findUnique({ where: { id }, include: INCLUDE });

function toView(s: TSetRow, splits: TSplitCount[]): TPredictionSetView {
  return {
    id: s.id,
    runId: s.runId,
    datasetId: s.datasetId,
    datasetName: s.dataset.name,
    status: s.status,
    scheme: s.scheme,
    folds: s.folds,
    tta: s.tta,
    progress: s.progress as Record<string, unknown> | null,
    foldModels: Array.isArray(s.foldModels) ? (s.foldModels as TFoldModel[]) : [],
    predicted: s.predicted,
    imagesPerSec: s.imagesPerSec,
    backend: s.backend,
    error: s.error,
    cancelRequested: s.cancelRequested,
    attempts: s.attempts,
    createdBy: s.createdBy?.name ?? null,
    createdAt: s.createdAt.toISOString(),
    finishedAt: s.finishedAt?.toISOString() ?? null,
    splits,
    labels: trainableLabels(s.dataset.taxonomy),
  };
}

export async function listPredictionSets(
  where: { runId?: string; datasetId?: string } = {},
): Promise<TPredictionSetView[]> {
  const sets = await db().predictionSet.findMany({
    where,
    orderBy: { createdAt: "desc" },
    take: 50,
    include: INCLUDE,
  });
  const counts = await splitCounts(sets.map((s) => s.id));
  return sets.map((s) => toView(s, counts.get(s.id) ?? []));
}

export async function getPredictionSet(id: string): Promise<TPredictionSetView | null> {
  const set = await findSet(id);
  if (!set) return null;
  return toView(set, (await splitCounts([id])).get(id) ?? []);
}

// Checks the request against the database (400 naming the field, nothing written), creates the set QUEUED and
// enqueues it on the run's training queue. Redis down: the row is removed again and QueueUnavailableError
// propagates (503), as for runs.
export async function launchPredictions(
  request: TPredictRequest,
  userId: string,
): Promise<{ id: string; jobId: string }> {
  const run = await db().trainingRun.findUnique({
    where: { id: request.runId },
    include: { dataset: { select: { taxonomy: true } } },
  });
  if (!run) throw fieldError("runId", "no such run");
  if (run.status !== "SUCCEEDED" || !run.artifactPath)
    throw fieldError("runId", `the run has no saved model (it is ${run.status.toLowerCase()})`);
  const datasetId = request.datasetId ?? run.datasetId;
  if (datasetId !== run.datasetId) {
    const other = await db().dataset.findUnique({ where: { id: datasetId }, select: { taxonomy: true } });
    if (!other) throw fieldError("datasetId", "no such dataset");
    if (other.taxonomy.join(",") !== run.dataset.taxonomy.join(","))
      throw fieldError("datasetId", "its taxonomy differs from the run's dataset");
    if (request.scheme === "cross-fit")
      throw fieldError("scheme", "cross-fit trains fold models on the run's own dataset only; use in-sample");
  }
  const set = await db().predictionSet.create({
    data: {
      datasetId,
      runId: run.id,
      scheme: request.scheme,
      folds: foldsOf(request),
      tta: ttaEvalOfStored(run.config),
      createdById: userId,
    },
  });
  try {
    const jobId = await enqueuePredictJob(set.id, run.config);
    await db().predictionSet.update({ where: { id: set.id }, data: { jobId } });
    return { id: set.id, jobId };
  } catch (error) {
    await db().predictionSet.delete({ where: { id: set.id } });
    throw error;
  }
}

// As for runs: cancelRequested first (the worker polls it), then the broadcast (stops within one batch); a
// job still waiting is removed and the set marked CANCELLED here. Stored rows and the current fold's
// checkpoint stay, so the set can be resumed.
export async function cancelPredictions(id: string) {
  const set = await db().predictionSet.findUnique({ where: { id }, select: { status: true } });
  if (!set) throw new HttpError(404, "No such prediction set");
  if (set.status !== "QUEUED" && set.status !== "RUNNING")
    throw new HttpError(409, `Prediction set is already ${set.status.toLowerCase()}`);
  await db().predictionSet.update({ where: { id }, data: { cancelRequested: true } });
  let broadcast = false;
  try {
    const r = await publishPredictCancel(id);
    broadcast = true;
    if (r.removedJobIds.length > 0)
      await db().predictionSet.updateMany({
        where: { id, status: "QUEUED" },
        data: { status: "CANCELLED", finishedAt: new Date(), error: "cancelled before it started" },
      });
  } catch (error) {
    if (!isQueueUnavailableError(error)) throw error;
  }
  const after = await db().predictionSet.findUniqueOrThrow({
    where: { id },
    select: { status: true, cancelRequested: true },
  });
  return { ...after, broadcast };
}

// A cancelled or failed set goes back to QUEUED and its job runs again: it predicts only the images without
// a row and resumes the current fold from its checkpoint. Redis down: the set keeps its state (503).
export async function resumePredictions(id: string) {
  const set = await db().predictionSet.findUnique({
    where: { id },
    include: { run: { select: { config: true } } },
  });
  if (!set) throw new HttpError(404, "No such prediction set");
  if (set.status !== "CANCELLED" && set.status !== "FAILED")
    throw new HttpError(
      409,
      `Only a cancelled or failed set can resume (this one is ${set.status.toLowerCase()})`,
    );
  const before = { status: set.status, cancelRequested: set.cancelRequested, finishedAt: set.finishedAt };
  await db().predictionSet.update({
    where: { id },
    data: { status: "QUEUED", cancelRequested: false, finishedAt: null, error: null },
  });
  try {
    const jobId = await enqueuePredictJob(id, set.run.config, { resume: true });
    await db().predictionSet.update({ where: { id }, data: { jobId } });
    return { id, jobId, status: "QUEUED" as const };
  } catch (error) {
    await db().predictionSet.update({ where: { id }, data: { ...before, error: set.error } });
    throw error;
  }
}

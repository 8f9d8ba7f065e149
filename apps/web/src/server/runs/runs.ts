import "server-only";
import type { RunStatus, Split } from "@concord/db";
import { TWIN_RULE } from "@concord/importer/twins";
import { isQueueUnavailableError } from "@concord/jobs";
import {
  checkpointSelectionOf,
  PREDATING_LEVERS,
  parseStoredRunConfig,
  rebalanceFromOf,
  type TDecisionReport,
  type TRunConfig,
  ZDecisionReport,
  ZRunConfig,
} from "@concord/jobs/run-config";
import { db } from "../db";
import { fieldError, HttpError } from "../http";
import { enqueueTrainJob, publishCancel } from "../queue";

export type TRunListItem = {
  id: string;
  name: string;
  status: RunStatus;
  datasetName: string;
  model: string;
  scheme: string;
  eps: number;
  epochs: number;
  currentEpoch: number;
  backend: string | null;
  createdAt: string;
  finishedAt: string | null;
  validAccuracy: number | null;
  validMacroF1: number | null;
  testAccuracy: number | null;
  /** The same splits without their train twins (null: not computed) and n of each. */
  validN: number | null;
  validNWithoutTwins: number | null;
  validAccuracyWithoutTwins: number | null;
  validMacroF1WithoutTwins: number | null;
  testAccuracyWithoutTwins: number | null;
  /** VALID macro-F1 decided with the run's per-class decision biases, cross-fitted (null: none stored). */
  validMacroF1Decided: number | null;
  createdBy: string | null;
};

function readConfig(raw: unknown): Partial<TRunConfig> {
  const stored = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
  const parsed = ZRunConfig.partial().safeParse({ ...PREDATING_LEVERS, ...stored });
  return parsed.success ? parsed.data : {};
}

/** The epoch a stored config's rebalancing started (0 = auto resolved against its epochs); undefined if unknown. */
function rebalanceFromOfStored(c: Partial<TRunConfig>): number | undefined {
  if (c.rebalanceFrom === undefined || c.epochs === undefined) return c.rebalanceFrom;
  return rebalanceFromOf({
    epochs: c.epochs,
    rebalanceFrom: c.rebalanceFrom,
    classWeighting: c.classWeighting === true,
    logitAdjust: c.logitAdjust ?? 0,
  });
}

export function runLabel(run: { id: string; name: string }): string {
  return run.name || `run ${run.id.slice(-6)}`;
}

export async function listRuns(
  where: { datasetId?: string; status?: RunStatus } = {},
): Promise<TRunListItem[]> {
  const runs = await db().trainingRun.findMany({
    where,
    orderBy: { createdAt: "desc" },
    take: 200,
    include: {
      dataset: { select: { name: true } },
      createdBy: { select: { name: true } },
      evaluations: {
        select: {
          split: true,
          n: true,
          accuracy: true,
          macroF1: true,
          nWithoutTwins: true,
          accuracyWithoutTwins: true,
          macroF1WithoutTwins: true,
          decisions: true,
        },
      },
    },
  });
  return runs.map((r) => {
    const c = readConfig(r.config);
    const ev = (s: Split) => r.evaluations.find((e) => e.split === s);
    return {
      id: r.id,
      name: runLabel(r),
      status: r.status,
      datasetName: r.dataset.name,
      model: c.model ?? "?",
      scheme: c.scheme ?? "?",
      eps: c.eps ?? 0,
      epochs: c.epochs ?? 0,
      currentEpoch: r.currentEpoch,
      backend: r.backend,
      createdAt: r.createdAt.toISOString(),
      finishedAt: r.finishedAt?.toISOString() ?? null,
      validAccuracy: ev("VALID")?.accuracy ?? null,
      validMacroF1: ev("VALID")?.macroF1 ?? null,
      testAccuracy: ev("TEST")?.accuracy ?? null,
      validN: ev("VALID")?.n ?? null,
      validNWithoutTwins: ev("VALID")?.nWithoutTwins ?? null,
      validAccuracyWithoutTwins: ev("VALID")?.accuracyWithoutTwins ?? null,
      validMacroF1WithoutTwins: ev("VALID")?.macroF1WithoutTwins ?? null,
      testAccuracyWithoutTwins: ev("TEST")?.accuracyWithoutTwins ?? null,
      validMacroF1Decided: readDecisions(ev("VALID")?.decisions)?.macroF1 ?? null,
      createdBy: r.createdBy?.name ?? null,
    };
  });
}

export type TEvaluationView = {
  split: Split;
  labels: string[];
  n: number;
  accuracy: number;
  macroF1: number;
  loss: number;
  ece: number;
  confusion: number[][];
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  calibration: { confidence: number; accuracy: number; count: number }[];
  /**
   * The split without the faces that have an exact or near twin in the run's train split: n, accuracy,
   * macro-F1 and the labelled faces left out. Null: not computed (evaluated before twins were, or the train
   * split itself).
   */
  withoutTrainTwins: {
    n: number;
    accuracy: number;
    macroF1: number;
    exactTwins: number;
    exactOrNearTwins: number;
  } | null;
  /**
   * The same predictions decided with the run's per-class decision biases (@concord/trainer
   * evaluation/decision-biases.ts): cross-fitted (mean ± SD over random halvings) on the split they were fitted
   * on, applied as stored on the others. Null: the run's model has none.
   */
  decisions: TDecisionsView | null;
};

export type TDecisionsView = TDecisionReport;

/** The stored decisions JSON (the worker writes the trainer's report), or null when absent or not that shape. */
export function readDecisions(raw: unknown): TDecisionsView | null {
  const parsed = ZDecisionReport.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

// Calibration JSON is written by the worker from the trainer's evaluate(); accept the field names either
// side may use so a renamed field degrades to an empty chart instead of a crash.
function readCalibration(raw: unknown): TEvaluationView["calibration"] {
  const bins = Array.isArray(raw)
    ? raw
    : Array.isArray((raw as { bins?: unknown })?.bins)
      ? (raw as { bins: unknown[] }).bins
      : [];
  return bins.flatMap((b) => {
    const o = b as Record<string, unknown>;
    const confidence = Number(o.confidence ?? o.meanConfidence ?? o.avgConfidence);
    const accuracy = Number(o.accuracy ?? o.meanAccuracy);
    const count = Number(o.count ?? o.n ?? 0);
    return Number.isFinite(confidence) && Number.isFinite(accuracy) ? [{ confidence, accuracy, count }] : [];
  });
}

// An Evaluation row: the same columns, with the charts' data as stored JSON.
type TStoredEvaluation = Omit<
  TEvaluationView,
  "confusion" | "perClass" | "calibration" | "withoutTrainTwins" | "decisions"
> & {
  decisions?: unknown;
  confusion: unknown;
  perClass: unknown;
  calibration: unknown;
  nWithoutTwins: number | null;
  accuracyWithoutTwins: number | null;
  macroF1WithoutTwins: number | null;
  exactTwins: number | null;
  exactOrNearTwins: number | null;
};

export function toEvaluationView(e: TStoredEvaluation): TEvaluationView {
  return {
    split: e.split,
    labels: e.labels,
    n: e.n,
    accuracy: e.accuracy,
    macroF1: e.macroF1,
    loss: e.loss,
    ece: e.ece,
    confusion: Array.isArray(e.confusion) ? (e.confusion as number[][]) : [],
    perClass: Array.isArray(e.perClass) ? (e.perClass as TEvaluationView["perClass"]) : [],
    calibration: readCalibration(e.calibration),
    withoutTrainTwins:
      e.nWithoutTwins === null || e.accuracyWithoutTwins === null || e.macroF1WithoutTwins === null
        ? null
        : {
            n: e.nWithoutTwins,
            accuracy: e.accuracyWithoutTwins,
            macroF1: e.macroF1WithoutTwins,
            exactTwins: e.exactTwins ?? 0,
            exactOrNearTwins: e.exactOrNearTwins ?? 0,
          },
    decisions: readDecisions(e.decisions),
  };
}

export async function getRunDetail(id: string) {
  const run = await db().trainingRun.findUnique({
    where: { id },
    include: {
      dataset: { select: { id: true, name: true, slug: true, taxonomy: true } },
      snapshot: { select: { id: true, method: true, params: true, createdAt: true } },
      createdBy: { select: { name: true } },
      epochs: { orderBy: { epoch: "asc" } },
      evaluations: true,
    },
  });
  if (!run) return null;
  const order: Split[] = ["TEST", "VALID", "TRAIN"];
  return {
    id: run.id,
    name: runLabel(run),
    status: run.status,
    config: readConfig(run.config),
    rawConfig: run.config,
    seed: run.seed,
    backend: run.backend,
    // Recorded by the worker when the run starts (commit or build stamp, or "unknown: <why>"); null only
    // while no worker has taken the run.
    codeVersion:
      run.codeVersion ??
      (run.startedAt
        ? "unknown: not recorded by the worker that trained it (before code versions were)"
        : null),
    attempts: run.attempts,
    cancelRequested: run.cancelRequested,
    currentEpoch: run.currentEpoch,
    progress: run.progress as Record<string, unknown> | null,
    error: run.error,
    hasArtifact: Boolean(run.artifactPath),
    createdBy: run.createdBy?.name ?? null,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    dataset: run.dataset,
    snapshot: run.snapshot ? { ...run.snapshot, createdAt: run.snapshot.createdAt.toISOString() } : null,
    epochs: run.epochs.map((e) => ({
      epoch: e.epoch,
      trainLoss: e.trainLoss,
      trainAccuracy: e.trainAccuracy,
      valLoss: e.valLoss,
      valAccuracy: e.valAccuracy,
      valAccuracyWithoutTwins: e.valAccuracyWithoutTwins,
      learningRate: e.learningRate,
      imagesPerSec: e.imagesPerSec,
      durationMs: e.durationMs,
    })),
    evaluations: run.evaluations
      .map(toEvaluationView)
      .sort((a, b) => order.indexOf(a.split) - order.indexOf(b.split)),
    // What chose the kept epoch, and which faces "without train twins" leaves out: shown beside every figure.
    checkpointSplit: checkpointSplitOf(run),
    checkpointSelectedOn: checkpointSelectionOf({
      holdout: checkpointSplitOf(run) === "HOLDOUT",
      ttaEval: readConfig(run.config).ttaEval === true,
      rebalanceFrom: rebalanceFromOfStored(readConfig(run.config)),
    }),
    twinRule: TWIN_RULE,
  };
}

/**
 * What chose the run's checkpoint: the worker records it when the run succeeds. For runs from before it did, a
 * finished run with no VALID evaluation had no Valid faces and selected on a hold-out of its train faces.
 */
function checkpointSplitOf(run: {
  status: RunStatus;
  checkpointSplit: string | null;
  evaluations: { split: Split }[];
}): "VALID" | "HOLDOUT" {
  if (run.checkpointSplit === "VALID" || run.checkpointSplit === "HOLDOUT") return run.checkpointSplit;
  return run.status === "SUCCEEDED" && !run.evaluations.some((e) => e.split === "VALID")
    ? "HOLDOUT"
    : "VALID";
}

export type TRunDetail = NonNullable<Awaited<ReturnType<typeof getRunDetail>>>;

// Creates the run row (QUEUED) then enqueues it. When the queue refuses (Redis down), the row is deleted so
// no orphan QUEUED run stays behind; if even that fails it is marked FAILED with the reason.
export async function launchRun(config: TRunConfig, userId: string): Promise<{ id: string; jobId: string }> {
  const dataset = await db().dataset.findUnique({ where: { id: config.datasetId }, select: { id: true } });
  if (!dataset) throw fieldError("datasetId", "no such dataset");
  if (config.snapshotId) {
    const snap = await db().labelSnapshot.findUnique({
      where: { id: config.snapshotId },
      select: { datasetId: true },
    });
    if (!snap || snap.datasetId !== config.datasetId) {
      throw fieldError("snapshotId", "no such snapshot for this dataset");
    }
  }
  const run = await db().trainingRun.create({
    data: {
      name: config.name,
      datasetId: config.datasetId,
      snapshotId: config.snapshotId ?? null,
      config,
      seed: config.seed,
      status: "QUEUED",
      createdById: userId,
    },
  });
  try {
    const jobId = await enqueueTrainJob(run.id, config);
    await db().trainingRun.update({ where: { id: run.id }, data: { jobId } });
    return { id: run.id, jobId };
  } catch (error) {
    await db()
      .trainingRun.delete({ where: { id: run.id } })
      .catch(() =>
        db().trainingRun.update({
          where: { id: run.id },
          data: {
            status: "FAILED",
            error: `could not enqueue: ${(error as Error).message}`,
            finishedAt: new Date(),
          },
        }),
      );
    throw error;
  }
}

export async function retryRun(id: string, userId: string) {
  const run = await db().trainingRun.findUnique({ where: { id } });
  if (!run) throw new HttpError(404, "No such run");
  const parsed = parseStoredRunConfig(run.config);
  if (!parsed.success)
    throw new HttpError(409, "This run's stored config is not valid any more; launch a new run");
  const base = parsed.data.name || runLabel(run);
  return launchRun({ ...parsed.data, name: `${base.replace(/ \(retry\)$/, "")} (retry)` }, userId);
}

// Postgres is the truth: cancelRequested is set first (workers poll it between batches), then a cancel is
// broadcast through Redis so a running job stops within one batch. A job still waiting in the queue is
// removed and its run marked CANCELLED here, since no worker will ever pick it up. Redis down is not an
// error for cancel: the flag alone stops the run when a worker reaches it.
export async function requestCancel(
  id: string,
): Promise<{ status: RunStatus; cancelRequested: boolean; broadcast: boolean }> {
  const run = await db().trainingRun.findUnique({ where: { id }, select: { status: true } });
  if (!run) throw new HttpError(404, "No such run");
  if (run.status !== "QUEUED" && run.status !== "RUNNING") {
    throw new HttpError(409, `Run is already ${run.status.toLowerCase()}`);
  }
  await db().trainingRun.update({ where: { id }, data: { cancelRequested: true } });
  let broadcast = false;
  try {
    const r = await publishCancel(id);
    broadcast = true;
    if (r.removedJobIds.length > 0) {
      await db().trainingRun.updateMany({
        where: { id, status: "QUEUED" },
        data: { status: "CANCELLED", finishedAt: new Date(), error: "cancelled before it started" },
      });
    }
  } catch (error) {
    if (!isQueueUnavailableError(error)) throw error;
  }
  const after = await db().trainingRun.findUniqueOrThrow({
    where: { id },
    select: { status: true, cancelRequested: true },
  });
  return { ...after, broadcast };
}

export async function runArtifactPath(id: string): Promise<string | null> {
  const run = await db().trainingRun.findUnique({ where: { id }, select: { artifactPath: true } });
  return run?.artifactPath ?? null;
}

import { METHODS } from "@concord/crowd/methods";
import { z } from "zod";
import type { TQueueName } from "./queues";

/** Aggregation methods: @concord/crowd's own list, so a method it adds is a valid payload at once. */
export { METHODS as AGGREGATION_METHODS };
export const ZAggregationMethod = z.enum(METHODS);

const ZId = z.string().trim().min(1, "id must not be empty").max(64);

// ---- snapshot-labels --------------------------------------------------------------------------------
export const SNAPSHOT_LABELS_JOB = "snapshot-labels" as const;
export const ZSnapshotLabelsPayload = z.object({
  datasetId: ZId,
  method: ZAggregationMethod,
  /** Passed to crowd's aggregate() (maxIterations, tolerance, smoothing, seed, ...). */
  params: z.record(z.string(), z.unknown()).default({}),
  createdById: ZId.optional(),
  /** The SnapshotJob row the web wrote (QUEUED) for this request; the worker moves it to RUNNING, then
   *  SUCCEEDED or FAILED. Absent when a training run makes its default snapshot. */
  snapshotJobId: ZId.optional(),
});
export type TSnapshotLabelsPayload = z.input<typeof ZSnapshotLabelsPayload>;
export const ZSnapshotLabelsProgress = z.object({
  stage: z.enum(["loading", "aggregating", "writing", "done"]),
  items: z.number().int().nonnegative(),
});
export type TSnapshotLabelsProgress = z.infer<typeof ZSnapshotLabelsProgress>;
export const ZSnapshotLabelsResult = z.object({
  snapshotId: z.string(),
  created: z.boolean(),
  items: z.number(),
});
export type TSnapshotLabelsResult = z.infer<typeof ZSnapshotLabelsResult>;

// ---- train ------------------------------------------------------------------------------------------
export const TRAIN_JOB = "train" as const;
/** The run row (TrainingRun) holds config, seed and snapshot: the payload only points at it. */
export const ZTrainPayload = z.object({ runId: ZId });
export type TTrainPayload = z.input<typeof ZTrainPayload>;
export const ZTrainProgress = z.object({
  runId: z.string(),
  phase: z.enum(["starting", "loading", "training", "evaluating", "saving", "done", "cancelled"]),
  epoch: z.number().int().nonnegative(),
  epochs: z.number().int().nonnegative(),
  batch: z.number().int().nonnegative().optional(),
  batches: z.number().int().nonnegative().optional(),
  loss: z.number().optional(),
  imagesPerSec: z.number().optional(),
  /** Epoch of the checkpoint this attempt resumed from (0 = fresh start). */
  resumedFromEpoch: z.number().int().nonnegative().optional(),
  backend: z.string().optional(),
  /** On "cancelled": the last batch finished when the stop request arrived (batch stops within one batch). */
  stopRequestedAfterBatch: z.number().int().nonnegative().optional(),
});
export type TTrainProgress = z.infer<typeof ZTrainProgress>;
export const ZTrainResult = z.object({
  runId: z.string(),
  // FAILED only when the job found its run already failed (a late duplicate); failures otherwise throw.
  status: z.enum(["SUCCEEDED", "CANCELLED", "FAILED"]),
  epochs: z.number().int(),
  artifactPath: z.string().nullable(),
});
export type TTrainResult = z.infer<typeof ZTrainResult>;

// ---- evaluate ---------------------------------------------------------------------------------------
export const EVALUATE_JOB = "evaluate" as const;
export const ZEvalSplit = z.enum(["TRAIN", "VALID", "TEST"]);
export const ZEvaluatePayload = z.object({
  /** The run whose saved model (artifactPath) is evaluated. */
  runId: ZId,
  splits: z.array(ZEvalSplit).min(1).default(["VALID", "TEST"]),
  /** Another dataset with the same taxonomy; results are then returned only (Evaluation rows are per run). */
  datasetId: ZId.optional(),
  /** Labels of that dataset: this snapshot's consensus, else the majority of votes/tallies. */
  snapshotId: ZId.optional(),
});
export type TEvaluatePayload = z.input<typeof ZEvaluatePayload>;
export const ZEvaluateProgress = z.object({
  split: ZEvalSplit,
  done: z.number().int(),
  total: z.number().int(),
});
export type TEvaluateProgress = z.infer<typeof ZEvaluateProgress>;
export const ZEvaluateResult = z.object({
  runId: z.string(),
  datasetId: z.string(),
  stored: z.boolean(),
  splits: z.array(
    z.object({
      split: ZEvalSplit,
      n: z.number(),
      accuracy: z.number(),
      macroF1: z.number(),
      loss: z.number(),
      /** Without the faces that have a twin in the run's train split; null for that train split itself. */
      withoutTrainTwins: z.object({ n: z.number(), accuracy: z.number(), macroF1: z.number() }).nullable(),
    }),
  ),
});
export type TEvaluateResult = z.infer<typeof ZEvaluateResult>;

// ---- predict ----------------------------------------------------------------------------------------
export const PREDICT_JOB = "predict" as const;
/** The PredictionSet row holds run, dataset, scheme and folds: the payload only points at it. */
export const ZPredictPayload = z.object({ setId: ZId });
export type TPredictPayload = z.input<typeof ZPredictPayload>;
export const ZPredictProgress = z.object({
  setId: z.string(),
  phase: z.enum(["starting", "loading", "training", "predicting", "saving", "done", "cancelled"]),
  /** Fold model being trained or predicting (1-based; 0 = the run's saved model). */
  fold: z.number().int().nonnegative(),
  folds: z.number().int().positive(),
  /** Images with a stored prediction, of the dataset's total. */
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** While a fold model trains: its epoch (completed) and epochs. */
  epoch: z.number().int().nonnegative().optional(),
  epochs: z.number().int().nonnegative().optional(),
  // As for a run; imagesPerSec is batched inference img/s while predicting, resumedFromEpoch the fold's.
  ...ZTrainProgress.pick({
    batch: true,
    batches: true,
    loss: true,
    imagesPerSec: true,
    resumedFromEpoch: true,
    backend: true,
  }).shape,
});
/** One cross-fit fold model of a set (PredictionSet.foldModels): written by the worker, shown by the web. */
export type TFoldModel = {
  fold: number;
  trainImages: number;
  predicted: number;
  epochs: number;
  bestEpoch: number;
  /** The fold model's valid accuracy over the whole split (its checkpoint was chosen on it). */
  validAccuracy: number | null;
  /** The same without the valid faces that have a train twin; absent in sets made before twins were. */
  validAccuracyWithoutTwins?: number | null;
};
export type TPredictProgress = z.infer<typeof ZPredictProgress>;
export const ZPredictResult = z.object({
  setId: z.string(),
  // FAILED only when the job found its set already failed (a late duplicate); failures otherwise throw.
  status: z.enum(["SUCCEEDED", "CANCELLED", "FAILED"]),
  predicted: z.number().int(),
  outOfSample: z.number().int(),
  /** Batched inference throughput over every prediction pass of this job (training excluded). */
  imagesPerSec: z.number().nullable(),
});
export type TPredictResult = z.infer<typeof ZPredictResult>;

/** Shape of one registry entry: everything web and worker need to agree on for a job. */
type TJobDefinition = {
  id: string;
  queue: TQueueName;
  payload: z.ZodType;
  progress: z.ZodType;
  result: z.ZodType;
  attempts: number;
  /** Deterministic BullMQ job id: enqueueing the same run twice is a no-op, never a second job. */
  jobId?: (payload: never) => string;
};

/**
 * The registry. `as const` + `satisfies` keeps literal names and exact schema types, so
 * `enqueue("trian", ...)` or a payload without `runId` fails to compile.
 */
export const JOBS = {
  [SNAPSHOT_LABELS_JOB]: {
    id: SNAPSHOT_LABELS_JOB,
    queue: "labels",
    payload: ZSnapshotLabelsPayload,
    progress: ZSnapshotLabelsProgress,
    result: ZSnapshotLabelsResult,
    attempts: 2,
  },
  [TRAIN_JOB]: {
    id: TRAIN_JOB,
    queue: "train",
    payload: ZTrainPayload,
    progress: ZTrainProgress,
    result: ZTrainResult,
    // Retries after a crash or a SIGTERM resume from the last epoch checkpoint.
    attempts: 5,
    jobId: (p: z.infer<typeof ZTrainPayload>) => trainJobId(p.runId),
  },
  [EVALUATE_JOB]: {
    id: EVALUATE_JOB,
    queue: "evaluate",
    payload: ZEvaluatePayload,
    progress: ZEvaluateProgress,
    result: ZEvaluateResult,
    attempts: 2,
  },
  [PREDICT_JOB]: {
    id: PREDICT_JOB,
    // CPU-heavy like training (cross-fit trains K models): it waits its turn on the run's training queue
    // (`trainQueueFor(run config)`, so a GPU run's predictions go to train-gpu).
    queue: "train",
    payload: ZPredictPayload,
    progress: ZPredictProgress,
    result: ZPredictResult,
    // Retries resume: finished folds keep their rows, the current fold resumes from its epoch checkpoint.
    attempts: 5,
    jobId: (p: z.infer<typeof ZPredictPayload>) => predictJobId(p.setId),
  },
} as const satisfies Record<string, TJobDefinition>;

export type TJobName = keyof typeof JOBS;
export type TJobPayloadInput<N extends TJobName> = z.input<(typeof JOBS)[N]["payload"]>;
export type TJobPayload<N extends TJobName> = z.infer<(typeof JOBS)[N]["payload"]>;
export type TJobProgress<N extends TJobName> = z.infer<(typeof JOBS)[N]["progress"]>;
export type TJobResult<N extends TJobName> = z.infer<(typeof JOBS)[N]["result"]>;

export function isJobName(value: string): value is TJobName {
  return Object.hasOwn(JOBS, value);
}

/** BullMQ forbids ':' in custom ids; one run = one job id across retries and re-enqueues. */
export function trainJobId(runId: string): string {
  return `train-${runId}`;
}

/** One prediction set = one job id across retries, re-enqueues and resumes. */
export function predictJobId(setId: string): string {
  return `predict-${setId}`;
}

/** Validates a payload against its job's schema (the worker re-validates every job it receives). */
export function parsePayload<N extends TJobName>(name: N, data: unknown): TJobPayload<N> {
  return JOBS[name].payload.parse(data) as TJobPayload<N>;
}

// predict: one PredictionSet on this worker. Every image of the dataset gets one stored row. The run's saved
// model predicts the images it never trained on (and, scheme "in-sample", the ones it did, flagged
// in-sample); scheme "cross-fit" trains K fold models with the run's config, each on the other folds of the
// run's training images, and each predicts its own fold. Rows are the resume point: every attempt predicts
// only images without a row, and a fold's model resumes from its epoch checkpoint.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Prisma, TDb } from "@concord/db";
import {
  PREDICT_SCHEMES,
  parseStoredRunConfig,
  type TFoldModel,
  type TJobPayload,
  type TPredictProgress,
  type TPredictResult,
} from "@concord/jobs";
import {
  backendLabel,
  backendOptions,
  createInferencePool,
  initBackend,
  loadModel,
  mixSeed,
  readModelMetadata,
  stratifiedFolds,
  subsetImages,
  subsetTargets,
  type TTrainData,
  train,
  trainConfigOf,
} from "@concord/trainer";
import { UnrecoverableError } from "bullmq";
import { batchReporter } from "../batch-progress";
import type { TWorkerEnv } from "../env";
import {
  listImages,
  pixelsFromDb,
  pixelsFromMemory,
  predictTargets,
  type TPredictTarget,
  taxonomyIndex,
} from "../predictions";
import { controlRun } from "../run-control";
import { finishRow, markRunning, requeueRun, setLive } from "../run-state";
import { loadTrainData, trainDataVersionOf } from "../train-data";
import type { TJobContext } from "./train";

export function predictionDir(env: TWorkerEnv, setId: string) {
  return join(env.CONCORD_ARTIFACTS_DIR, "predictions", setId);
}

/** Checks that cannot change between attempts: a failure here is final. */
async function loadPlan(db: TDb, setId: string) {
  const set = await db.predictionSet.findUnique({
    where: { id: setId },
    include: { run: true, dataset: { select: { taxonomy: true } } },
  });
  if (!set) throw new UnrecoverableError(`prediction set ${setId} does not exist`);
  const { run } = set;
  const problem = (() => {
    if (!(PREDICT_SCHEMES as readonly string[]).includes(set.scheme)) return `unknown scheme "${set.scheme}"`;
    if (run.status !== "SUCCEEDED" || !run.artifactPath || !run.snapshotId)
      return `run ${run.id} has no saved model (status ${run.status})`;
    if (set.scheme === "cross-fit" && set.folds < 2) return "cross-fit needs at least 2 folds";
    if (set.scheme === "cross-fit" && set.datasetId !== run.datasetId)
      return "cross-fit trains on the run's own dataset only";
    return null;
  })();
  const config = parseStoredRunConfig(run.config);
  return {
    set,
    run,
    config,
    problem: problem ?? (config.success ? null : "the run's stored config is invalid"),
  };
}

export async function predictSet(
  db: TDb,
  env: TWorkerEnv,
  payload: TJobPayload<"predict">,
  job: TJobContext<TPredictProgress>,
): Promise<TPredictResult> {
  const { setId } = payload;
  const log = job.log ?? ((line: string) => console.log(`[worker] predictions ${setId}: ${line}`));
  const { set, run, config: parsedConfig, problem } = await loadPlan(db, setId);
  const outcome = async (status: TPredictResult["status"]): Promise<TPredictResult> => {
    const predicted = await db.prediction.count({ where: { setId } });
    const outOfSample = await db.prediction.count({ where: { setId, outOfSample: true } });
    const row = await db.predictionSet.findUniqueOrThrow({
      where: { id: setId },
      select: { imagesPerSec: true },
    });
    return { setId, status, predicted, outOfSample, imagesPerSec: row.imagesPerSec };
  };
  if (set.status === "SUCCEEDED" || set.status === "FAILED" || set.status === "CANCELLED")
    return outcome(set.status);
  if (set.cancelRequested) {
    await finishRow(db, "predictionSet", setId, "CANCELLED", { error: "cancelled before it started" });
    return outcome("CANCELLED");
  }
  if (problem || !parsedConfig.success) {
    await finishRow(db, "predictionSet", setId, "FAILED", { error: problem });
    throw new UnrecoverableError(problem ?? "invalid run config");
  }
  const config = parsedConfig.data;
  const isLastAttempt = job.attemptsMade + 1 >= job.attempts;
  await markRunning(db, setId, { jobId: job.id, attempt: job.attemptsMade + 1 }, "predictionSet");
  const dir = predictionDir(env, setId);
  const control = controlRun({
    db,
    runId: setId,
    table: "predictionSet",
    redisUrl: env.REDIS_URL,
    prefix: env.CONCORD_QUEUE_PREFIX,
    pollMs: env.CONCORD_CANCEL_POLL_MS,
    graceMs: env.CONCORD_SHUTDOWN_GRACE_MS,
  });
  const folds = set.scheme === "cross-fit" ? set.folds : 1;
  let state: TPredictProgress = { setId, phase: "starting", fold: 0, folds, done: 0, total: 0 };
  let inferenceSeconds = 0;
  let inferred = 0;
  const progress = async (p: Partial<TPredictProgress>, extra: Record<string, unknown> = {}) => {
    state = { ...state, ...p };
    await job.updateProgress(state);
    await setLive(db, "predictionSet", setId, {
      progress: state as Prisma.InputJsonValue,
      predicted: state.done,
      ...extra,
    });
  };
  let pool: Awaited<ReturnType<typeof createInferencePool>> = null;
  try {
    const chosen = await initBackend(env.CONCORD_TF_BACKEND, backendOptions(env));
    const backend = backendLabel(chosen);
    await progress({ phase: "loading", backend }, { backend });
    const model = await loadModel(run.artifactPath!);
    const classNames = (await readModelMetadata(run.artifactPath!))?.classNames;
    if (!classNames) throw new UnrecoverableError(`run ${run.id}'s saved model names no classes`);
    const taxonomy = set.dataset.taxonomy;
    const index = taxonomyIndex(taxonomy, classNames);
    const { images, done } = await listImages(db, set.datasetId, setId);
    // The images the run trained on (its snapshot's labelled TRAIN images, as the train job chose them).
    const loaded =
      set.datasetId === run.datasetId
        ? await loadTrainData(
            db,
            { datasetId: run.datasetId, snapshotId: run.snapshotId! },
            {
              scheme: config.scheme,
              eps: config.eps,
              maxTrainImages: config.maxTrainImages,
              // The data the run trained on (a run that finished before versions were recorded: version 1).
              version: trainDataVersionOf(run.trainDataVersion),
            },
          )
        : null;
    const trained = new Set(loaded?.trainIds ?? []);
    await progress({ done: done.size, total: images.length });
    log(`${images.length} images (${done.size} already stored), ${trained.size} trained on by run ${run.id}`);
    pool = await createInferencePool(model, env.CONCORD_TRAINER_THREADS);
    // Every model of the set (the run's and the fold models) predicts with the set's views: face + mirror when
    // the run selected and reported with mirror TTA, so the stored rows score as its evaluation did.
    const inference = { signal: control.signal, pool: pool ?? undefined, tta: set.tta };
    const afterRound = async (r: { done: number; seconds: number }) => {
      inferred += r.done;
      await progress({ phase: "predicting", done: state.done + r.done, imagesPerSec: r.done / r.seconds });
      // Rows are stored: a draining worker may stop here and the next attempt carries on.
      control.atEpochEnd();
    };

    // The run's model: everything under "in-sample"; under "cross-fit" what it never trained on.
    const byRun: TPredictTarget[] = images
      .filter((i) => !done.has(i.id) && (set.scheme === "in-sample" || !trained.has(i.id)))
      .map((i) => ({ imageId: i.id, outOfSample: !trained.has(i.id), fold: null }));
    await progress({ phase: "predicting", fold: 0 });
    inferenceSeconds += await predictTargets(db, {
      setId,
      model,
      targets: byRun,
      pixelsOf: pixelsFromDb(db),
      index,
      taxonomySize: taxonomy.length,
      inference,
      afterRound,
    });
    model.dispose();

    if (set.scheme === "cross-fit" && loaded) {
      const { data, trainIds } = loaded;
      const fold = stratifiedFolds(data.train.labels, folds, mixSeed(run.seed, 0x6f6c64));
      const fromMemory = pixelsFromMemory(trainIds, data.train.pixels);
      const C = data.classNames.length;
      for (let k = 0; k < folds; k++) {
        const heldOut = trainIds.flatMap((_, i) => (fold[i] === k ? [i] : []));
        const pending = heldOut.filter((i) => !done.has(trainIds[i]!));
        if (pending.length === 0) continue;
        const kept = trainIds.flatMap((_, i) => (fold[i] === k ? [] : [i]));
        const foldData: TTrainData = {
          classNames: data.classNames,
          train: {
            ...subsetImages(data.train, kept),
            targets: subsetTargets(data.train.targets, C, kept),
          },
          ...(data.valid ? { valid: data.valid } : {}),
        };
        const checkpointDir = join(dir, `fold-${k + 1}`);
        let resumedFromEpoch: number | undefined;
        const report = batchReporter();
        await progress({ phase: "training", fold: k + 1, epoch: 0, epochs: config.epochs });
        const result = await train(
          foldData,
          { ...trainConfigOf(config), seed: run.seed, workers: env.CONCORD_TRAINER_THREADS },
          {
            checkpointDir,
            resume: true,
            signal: control.signal,
            log,
            onBatch: (b) => {
              resumedFromEpoch ??= b.epoch - 1;
              const r = report(b);
              if (r) void progress({ ...r, resumedFromEpoch }).catch(() => {});
            },
            onEpoch: async (m) => {
              await progress({ epoch: m.epoch, imagesPerSec: m.imagesPerSecond, resumedFromEpoch });
              control.atEpochEnd();
            },
          },
        );
        await progress({ phase: "predicting", batch: undefined, batches: undefined, loss: undefined });
        inferenceSeconds += await predictTargets(db, {
          setId,
          model: result.model,
          targets: pending.map((i) => ({ imageId: trainIds[i]!, outOfSample: true, fold: k + 1 })),
          pixelsOf: fromMemory,
          index,
          taxonomySize: taxonomy.length,
          inference,
          afterRound,
        });
        result.model.dispose();
        const summary: TFoldModel = {
          fold: k + 1,
          trainImages: kept.length,
          predicted: heldOut.length,
          epochs: result.history.length,
          bestEpoch: result.bestEpoch,
          validAccuracy: data.valid ? (result.valid?.accuracy ?? null) : null,
          validAccuracyWithoutTwins: data.valid ? (result.valid?.withoutTrainTwins?.accuracy ?? null) : null,
        };
        const now = await db.predictionSet.findUniqueOrThrow({
          where: { id: setId },
          select: { foldModels: true },
        });
        const list = ((now.foldModels as TFoldModel[] | null) ?? []).filter((f) => f.fold !== k + 1);
        await setLive(db, "predictionSet", setId, {
          foldModels: [...list, summary].sort((a, b) => a.fold - b.fold),
        });
        await rm(checkpointDir, { recursive: true, force: true });
        log(`fold ${k + 1}/${folds}: trained on ${kept.length}, predicted ${pending.length}`);
      }
    }

    await progress({ phase: "saving" });
    const predicted = await db.prediction.count({ where: { setId } });
    if (predicted !== images.length)
      throw new Error(`${predicted} rows stored for ${images.length} images (images added meanwhile?)`);
    const imagesPerSec = inferred > 0 && inferenceSeconds > 0 ? inferred / inferenceSeconds : null;
    await progress({ phase: "done", done: predicted, imagesPerSec: imagesPerSec ?? undefined });
    // A resumed attempt that only checked its rows keeps the figure of the attempt that predicted them.
    await finishRow(db, "predictionSet", setId, "SUCCEEDED", {
      error: null,
      predicted,
      ...(imagesPerSec === null ? {} : { imagesPerSec }),
    });
    await rm(dir, { recursive: true, force: true });
    return outcome("SUCCEEDED");
  } catch (error) {
    const why = control.reason();
    if (why === "cancel") {
      // Rows and the current fold's checkpoint stay: resuming the set carries on from them.
      await progress({ phase: "cancelled" }).catch(() => {});
      await finishRow(db, "predictionSet", setId, "CANCELLED", { error: null });
      log(`cancelled at fold ${state.fold}, ${state.done}/${state.total} images stored`);
      return outcome("CANCELLED");
    }
    const message = (error as Error)?.message ?? String(error);
    if (why === "shutdown") {
      await requeueRun(
        db,
        setId,
        `worker shut down at ${state.done}/${state.total} images; resumes`,
        "predictionSet",
      );
      throw new Error(`worker shutting down; prediction set ${setId} resumes from its stored rows`);
    }
    if (isLastAttempt || error instanceof UnrecoverableError) {
      await finishRow(db, "predictionSet", setId, "FAILED", { error: message });
    } else {
      await requeueRun(
        db,
        setId,
        `attempt ${job.attemptsMade + 1} failed (${message}); retrying`,
        "predictionSet",
      );
    }
    throw error;
  } finally {
    await pool?.close();
    await control.stop();
  }
}

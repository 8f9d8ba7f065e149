// train: one TrainingRun on this worker. Every attempt re-reads the run from Postgres, resumes from the
// last epoch checkpoint, writes per-epoch metrics, and ends the run in exactly one terminal state.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Prisma, type TDb } from "@concord/db";
import {
  parseStoredRunConfig,
  type TJobPayload,
  type TTrainProgress,
  type TTrainResult,
} from "@concord/jobs";
import {
  backendLabel,
  backendOptions,
  evaluate,
  hasCheckpoint,
  initBackend,
  saveModel,
  type TEvaluation,
  train,
  trainConfigOf,
} from "@concord/trainer";
import { UnrecoverableError } from "bullmq";
import { batchReporter } from "../batch-progress";
import { codeVersion, nextCodeVersion } from "../code-version";
import type { TWorkerEnv } from "../env";
import { launchPredictionsAfterRun } from "../launch-predictions";
import { controlRun } from "../run-control";
import { finishRun, markBackend, markRunning, requeueRun, setProgress } from "../run-state";
import {
  defaultSnapshotMethod,
  loadTrainData,
  TRAIN_DATA_VERSION,
  type TTrainDataVersion,
  trainDataVersionOf,
} from "../train-data";
import { snapshotLabels } from "./snapshot-labels";

export type TJobContext<P = TTrainProgress> = {
  id: string;
  attemptsMade: number;
  attempts: number;
  updateProgress: (p: P) => Promise<void> | void;
  log?: (line: string) => void;
};

export function runDir(env: TWorkerEnv, runId: string) {
  const root = join(env.CONCORD_ARTIFACTS_DIR, "runs", runId);
  return { root, checkpoint: join(root, "checkpoint"), model: join(root, "model") };
}

export async function writeEvaluation(
  db: TDb,
  runId: string,
  split: "VALID" | "TEST" | "TRAIN",
  e: TEvaluation,
) {
  const data = {
    labels: [...e.labels],
    n: e.n,
    accuracy: e.accuracy,
    macroF1: e.macroF1,
    loss: e.loss,
    ece: e.ece,
    confusion: e.confusion,
    perClass: e.perClass as unknown as Prisma.InputJsonValue,
    calibration: e.calibration as unknown as Prisma.InputJsonValue,
    nWithoutTwins: e.withoutTrainTwins?.n ?? null,
    accuracyWithoutTwins: e.withoutTrainTwins?.accuracy ?? null,
    macroF1WithoutTwins: e.withoutTrainTwins?.macroF1 ?? null,
    exactTwins: e.withoutTrainTwins?.twins.exact ?? null,
    exactOrNearTwins: e.withoutTrainTwins?.twins.exactOrNear ?? null,
    decisions: e.decisions ? (e.decisions as unknown as Prisma.InputJsonValue) : Prisma.DbNull,
  };
  await db.evaluation.upsert({
    where: { runId_split: { runId, split } },
    create: { runId, split, ...data },
    update: data,
  });
}

/**
 * The data version a run trains with (train-data.ts, TRAIN_DATA_VERSIONS), recorded before it first trains: the
 * one it recorded; else (a run from before versions were recorded, or one that never started) 1 when it has a
 * checkpoint to resume from, whose epochs trained on version 1's data (on another order the resume would
 * continue a different run), else the current version.
 */
export async function runDataVersion(
  db: TDb,
  run: { id: string; trainDataVersion: number | null },
  checkpointDir: string,
): Promise<TTrainDataVersion> {
  if (run.trainDataVersion !== null) return trainDataVersionOf(run.trainDataVersion);
  const version = hasCheckpoint(checkpointDir) ? 1 : TRAIN_DATA_VERSION;
  await db.trainingRun.update({ where: { id: run.id }, data: { trainDataVersion: version } });
  return version;
}

export async function trainRun(
  db: TDb,
  env: TWorkerEnv,
  payload: TJobPayload<"train">,
  job: TJobContext,
): Promise<TTrainResult> {
  const { runId } = payload;
  const log = job.log ?? ((line: string) => console.log(`[worker] run ${runId}: ${line}`));
  const run = await db.trainingRun.findUnique({ where: { id: runId } });
  if (!run) throw new UnrecoverableError(`training run ${runId} does not exist`);
  const done = (status: TTrainResult["status"]): TTrainResult => ({
    runId,
    status,
    epochs: run.currentEpoch,
    artifactPath: run.artifactPath,
  });
  if (run.status === "SUCCEEDED") {
    // A retry after the run ended but before its predictions were launched launches them now.
    const config = parseStoredRunConfig(run.config);
    if (config.success) await launchPredictionsAfterRun(db, env, run, config.data, log);
  }
  if (run.status === "SUCCEEDED" || run.status === "FAILED" || run.status === "CANCELLED")
    return done(run.status);
  if (run.cancelRequested) {
    await finishRun(db, runId, "CANCELLED", { error: "cancelled before it started" });
    return done("CANCELLED");
  }
  const parsed = parseStoredRunConfig(run.config);
  if (!parsed.success) {
    const reason = `invalid run config: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
    await finishRun(db, runId, "FAILED", { error: reason });
    throw new UnrecoverableError(reason);
  }
  const config = parsed.data;
  const isLastAttempt = job.attemptsMade + 1 >= job.attempts;
  await markRunning(db, runId, {
    jobId: job.id,
    attempt: job.attemptsMade + 1,
    codeVersion: nextCodeVersion(run.codeVersion, codeVersion(env.CONCORD_CODE_VERSION)),
  });

  const dirs = runDir(env, runId);
  const control = controlRun({
    db,
    runId,
    redisUrl: env.REDIS_URL,
    prefix: env.CONCORD_QUEUE_PREFIX,
    pollMs: env.CONCORD_CANCEL_POLL_MS,
    graceMs: env.CONCORD_SHUTDOWN_GRACE_MS,
  });
  let epoch = run.currentEpoch;
  let lastBatch = { epoch: epoch + 1, batch: 0, batches: 0 };
  let stopRequestedAfter: typeof lastBatch | undefined;
  const progress = async (p: Omit<TTrainProgress, "runId" | "epochs">) => {
    const value: TTrainProgress = { runId, epochs: config.epochs, ...p };
    await job.updateProgress(value);
    await setProgress(db, runId, value as Prisma.InputJsonValue, p.epoch);
  };
  try {
    const chosen = await initBackend(env.CONCORD_TF_BACKEND, backendOptions(env));
    // The run records whether the native kernels carried the WASM backend (about 4x faster), and on which sgemm.
    const backend = backendLabel(chosen);
    await markBackend(db, runId, backend);
    await progress({ phase: "loading", epoch, backend });

    let snapshotId = run.snapshotId;
    if (!snapshotId) {
      const dataset = await db.dataset.findUniqueOrThrow({
        where: { id: run.datasetId },
        select: { taxonomy: true },
      });
      const method = defaultSnapshotMethod(dataset.taxonomy, config.scheme);
      const snap = await snapshotLabels(db, { datasetId: run.datasetId, method, params: {} });
      snapshotId = snap.snapshotId;
      await db.trainingRun.update({ where: { id: runId }, data: { snapshotId } });
      log(`no snapshot given: using ${method} snapshot ${snapshotId}`);
    }
    const version = await runDataVersion(db, run, dirs.checkpoint);
    const { data, counts } = await loadTrainData(
      db,
      { datasetId: run.datasetId, snapshotId },
      { scheme: config.scheme, eps: config.eps, maxTrainImages: config.maxTrainImages, version },
    );
    log(
      `data (version ${version}): ${counts.train} train, ${counts.valid} valid, ${counts.test} test images; backend ${backend}`,
    );

    const report = batchReporter();
    let resumedFromEpoch: number | undefined;
    // Unthrottled position, to record how far training went after a stop request.
    lastBatch = { epoch: epoch + 1, batch: 0, batches: 0 };
    control.signal.addEventListener("abort", () => {
      stopRequestedAfter = { ...lastBatch };
    });
    const result = await train(
      data,
      { ...trainConfigOf(config), seed: run.seed, workers: env.CONCORD_TRAINER_THREADS },
      {
        checkpointDir: dirs.checkpoint,
        resume: true,
        signal: control.signal,
        log,
        onBatch: (b) => {
          // The first batch of an attempt tells where it resumed; writes are throttled to ~2/s.
          resumedFromEpoch ??= b.epoch - 1;
          lastBatch = { epoch: b.epoch, batch: b.batch, batches: b.batches };
          const r = report(b);
          if (!r) return;
          void progress({ phase: "training", ...r, resumedFromEpoch, backend }).catch(() => {});
        },
        onEpoch: async (m) => {
          epoch = m.epoch;
          const metric = {
            trainLoss: m.loss,
            trainAccuracy: m.trainAccuracy,
            valLoss: m.validLoss,
            valAccuracy: m.validAccuracy,
            valAccuracyWithoutTwins: m.validWithoutTrainTwins?.accuracy ?? null,
            learningRate: m.learningRate,
            imagesPerSec: m.imagesPerSecond,
            durationMs: Math.round(m.seconds * 1000),
          };
          await db.epochMetric.upsert({
            where: { runId_epoch: { runId, epoch: m.epoch } },
            create: { runId, epoch: m.epoch, ...metric },
            update: metric,
          });
          await progress({
            phase: "training",
            epoch: m.epoch,
            imagesPerSec: m.imagesPerSecond,
            resumedFromEpoch,
            backend,
          });
          control.atEpochEnd();
        },
      },
    );

    await progress({ phase: "evaluating", epoch, backend });
    // Without a VALID split the trainer selects on a train hold-out: that is not stored as VALID.
    const valid = data.valid
      ? (result.valid ?? (await evaluate(result.model, data.valid, "valid", { labels: data.classNames })))
      : null;
    const test = data.test
      ? (result.test ?? (await evaluate(result.model, data.test, "test", { labels: data.classNames })))
      : null;
    if (valid) await writeEvaluation(db, runId, "VALID", valid);
    if (test) await writeEvaluation(db, runId, "TEST", test);

    await progress({ phase: "saving", epoch, backend });
    // train() already attached classNames / model name as the model's user-defined metadata.
    await saveModel(result.model, dirs.model);
    // What the evaluate job and a download need besides the tfjs files.
    await writeFile(
      join(dirs.root, "run.json"),
      JSON.stringify(
        {
          runId,
          classNames: data.classNames,
          snapshotId,
          backend,
          codeVersion: codeVersion(env.CONCORD_CODE_VERSION),
          bestEpoch: result.bestEpoch,
          counts,
        },
        null,
        2,
      ),
    );
    result.model.dispose();
    await finishRun(db, runId, "SUCCEEDED", {
      artifactPath: dirs.model,
      error: null,
      // Recorded, not inferred later from which evaluations exist (an evaluate job may add VALID afterwards).
      checkpointSplit: data.valid ? "VALID" : "HOLDOUT",
    });
    await rm(dirs.checkpoint, { recursive: true, force: true });
    await progress({ phase: "done", epoch, backend });
    await launchPredictionsAfterRun(db, env, run, config, log);
    return { runId, status: "SUCCEEDED", epochs: epoch, artifactPath: dirs.model };
  } catch (error) {
    const why = control.reason();
    if (why === "cancel") {
      // Global batch indices, so "stopped within one batch" is checkable across an epoch boundary.
      const at = (p: typeof lastBatch) => (p.epoch - 1) * p.batches + p.batch;
      await progress({
        phase: "cancelled",
        epoch,
        batch: lastBatch.batch,
        batches: lastBatch.batches,
        stopRequestedAfterBatch: lastBatch.batch - (at(lastBatch) - at(stopRequestedAfter ?? lastBatch)),
      }).catch(() => {});
      await finishRun(db, runId, "CANCELLED", { error: null });
      await rm(dirs.checkpoint, { recursive: true, force: true });
      log(
        `cancelled in epoch ${lastBatch.epoch} after batch ${lastBatch.batch} (stop requested after batch ${stopRequestedAfter?.batch ?? "?"})`,
      );
      return { runId, status: "CANCELLED", epochs: epoch, artifactPath: null };
    }
    const message = (error as Error)?.message ?? String(error);
    if (why === "shutdown") {
      await requeueRun(db, runId, `worker shut down at epoch ${epoch}; resumes from its checkpoint`);
      throw new Error(`worker shutting down; run ${runId} resumes from the epoch ${epoch} checkpoint`);
    }
    if (isLastAttempt || error instanceof UnrecoverableError) {
      await finishRun(db, runId, "FAILED", { error: message });
    } else {
      await requeueRun(db, runId, `attempt ${job.attemptsMade + 1} failed (${message}); retrying`);
    }
    throw error;
  } finally {
    await control.stop();
  }
}

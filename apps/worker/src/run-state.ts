// Status transitions of the rows a job drives: TrainingRun (train), PredictionSet (predict) and SnapshotJob
// (snapshot-labels). Guarded
// updates (updateMany + status filter) so a late writer (an old attempt, the reconciler) can never move a
// finished row back.
import type { Prisma, TDb } from "@concord/db";

const LIVE = ["QUEUED", "RUNNING"] as const;
type TFinal = "SUCCEEDED" | "FAILED" | "CANCELLED";

/** The tables share these lifecycle columns (status, jobId, attempts, progress, error, timestamps). */
export type TLifecycleTable = "trainingRun" | "predictionSet" | "snapshotJob";
type TLifecycleDelegate = {
  updateMany(args: {
    where: { id: string; status?: { in: string[] } | string; startedAt?: null };
    data: Record<string, unknown>;
  }): Promise<{ count: number }>;
};

// Prisma's generated delegates are generic per model; both accept this subset of arguments.
const table = (db: TDb, name: TLifecycleTable) => db[name] as unknown as TLifecycleDelegate;

export async function markRunning(
  db: TDb,
  id: string,
  data: { jobId: string; attempt: number; codeVersion?: string },
  name: TLifecycleTable = "trainingRun",
) {
  const r = await table(db, name).updateMany({
    where: { id, status: { in: [...LIVE] } },
    data: {
      status: "RUNNING",
      jobId: data.jobId,
      attempts: data.attempt,
      error: null,
      // Runs record the code they ran (code-version.ts).
      ...(data.codeVersion ? { codeVersion: data.codeVersion } : {}),
    },
  });
  // startedAt is the first attempt's start: a resumed run keeps it.
  await table(db, name).updateMany({ where: { id, startedAt: null }, data: { startedAt: new Date() } });
  return r.count === 1;
}

export async function markBackend(db: TDb, runId: string, backend: string) {
  await db.trainingRun.update({ where: { id: runId }, data: { backend } });
}

export async function setProgress(
  db: TDb,
  runId: string,
  progress: Prisma.InputJsonValue,
  currentEpoch?: number,
) {
  await db.trainingRun.updateMany({
    where: { id: runId, status: "RUNNING" },
    data: { progress, ...(currentEpoch === undefined ? {} : { currentEpoch }) },
  });
}

/** Progress (and other live columns) of a RUNNING row; a finished one is left alone. */
export async function setLive(db: TDb, name: TLifecycleTable, id: string, data: Record<string, unknown>) {
  await table(db, name).updateMany({ where: { id, status: "RUNNING" }, data });
}

export async function finishRun(
  db: TDb,
  runId: string,
  status: TFinal,
  extra: { error?: string | null; artifactPath?: string; checkpointSplit?: "VALID" | "HOLDOUT" } = {},
) {
  return finishRow(db, "trainingRun", runId, status, extra);
}

export async function finishRow(
  db: TDb,
  name: TLifecycleTable,
  id: string,
  status: TFinal,
  extra: Record<string, unknown> = {},
) {
  const r = await table(db, name).updateMany({
    where: { id, status: { in: [...LIVE] } },
    data: { status, finishedAt: new Date(), ...extra },
  });
  return r.count === 1;
}

/** Back to QUEUED after a graceful stop: the retried job resumes from the checkpoint. */
export async function requeueRun(db: TDb, id: string, reason: string, name: TLifecycleTable = "trainingRun") {
  await table(db, name).updateMany({
    where: { id, status: "RUNNING" },
    data: { status: "QUEUED", error: reason },
  });
}

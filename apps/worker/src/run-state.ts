// TrainingRun status transitions. Guarded updates (updateMany + status filter) so a late writer (an old
// attempt, the reconciler) can never move a finished run back.
import type { Prisma, TDb } from "@concord/db";

const LIVE = ["QUEUED", "RUNNING"] as const;

export async function markRunning(
  db: TDb,
  runId: string,
  data: { jobId: string; attempt: number; codeVersion: string },
) {
  const r = await db.trainingRun.updateMany({
    where: { id: runId, status: { in: [...LIVE] } },
    data: {
      status: "RUNNING",
      jobId: data.jobId,
      attempts: data.attempt,
      codeVersion: data.codeVersion,
      error: null,
    },
  });
  // startedAt is the first attempt's start: a resumed run keeps it.
  await db.trainingRun.updateMany({ where: { id: runId, startedAt: null }, data: { startedAt: new Date() } });
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

export async function finishRun(
  db: TDb,
  runId: string,
  status: "SUCCEEDED" | "FAILED" | "CANCELLED",
  extra: { error?: string | null; artifactPath?: string } = {},
) {
  const r = await db.trainingRun.updateMany({
    where: { id: runId, status: { in: [...LIVE] } },
    data: { status, finishedAt: new Date(), ...extra },
  });
  return r.count === 1;
}

/** Back to QUEUED after a graceful stop: the retried job resumes from the checkpoint. */
export async function requeueRun(db: TDb, runId: string, reason: string) {
  await db.trainingRun.updateMany({
    where: { id: runId, status: "RUNNING" },
    data: { status: "QUEUED", error: reason },
  });
}

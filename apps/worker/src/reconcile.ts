// Postgres vs queue: a run must never stay RUNNING (or QUEUED) with no job that can finish it. Runs whose
// job failed for good, vanished (Redis flushed) or completed without ending the run are closed here;
// QUEUED runs whose job vanished are re-enqueued (Postgres is the source of truth).
import type { TDb } from "@concord/db";
import { type TJobsClient, TRAIN_QUEUES, trainJobId, trainQueueOfStored } from "@concord/jobs";
import type { Job } from "bullmq";
import { finishRun } from "./run-state";

async function findTrainJob(jobs: TJobsClient, runId: string): Promise<{ job: Job; queue: string } | null> {
  for (const queue of TRAIN_QUEUES) {
    const job = await jobs.queue(queue).getJob(trainJobId(runId));
    if (job) return { job, queue };
  }
  return null;
}

export type TReconcileReport = { failed: string[]; cancelled: string[]; requeued: string[] };

export async function reconcileRuns(
  db: TDb,
  jobs: TJobsClient,
  options: { queuedGraceMs?: number } = {},
): Promise<TReconcileReport> {
  const report: TReconcileReport = { failed: [], cancelled: [], requeued: [] };
  const grace = options.queuedGraceMs ?? 60_000;
  const runs = await db.trainingRun.findMany({
    where: { status: { in: ["QUEUED", "RUNNING"] } },
    select: { id: true, status: true, cancelRequested: true, createdAt: true, config: true },
  });
  for (const run of runs) {
    const found = await findTrainJob(jobs, run.id);
    const state = found ? await found.job.getState() : "missing";
    if (state === "active" || state === "waiting" || state === "delayed" || state === "prioritized") continue;
    if (state === "waiting-children" || state === "unknown") continue;
    if (run.status === "QUEUED" && run.cancelRequested) {
      if (await finishRun(db, run.id, "CANCELLED", { error: "cancelled before it started" }))
        report.cancelled.push(run.id);
      continue;
    }
    if (state === "failed") {
      const reason = found?.job.failedReason || "job failed";
      if (await finishRun(db, run.id, "FAILED", { error: reason })) report.failed.push(run.id);
      continue;
    }
    if (state === "completed") {
      if (await finishRun(db, run.id, "FAILED", { error: "job completed without finishing the run" }))
        report.failed.push(run.id);
      continue;
    }
    // missing
    if (run.status === "RUNNING") {
      if (
        await finishRun(db, run.id, "FAILED", {
          error: "job lost from the queue while running (Redis data lost)",
        })
      )
        report.failed.push(run.id);
    } else if (Date.now() - run.createdAt.getTime() > grace) {
      await jobs.train({ runId: run.id }, { queue: trainQueueOfStored(run.config) });
      report.requeued.push(run.id);
    }
  }
  return report;
}

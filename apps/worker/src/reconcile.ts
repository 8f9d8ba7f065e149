// Postgres vs queue: a run must never stay RUNNING (or QUEUED) with no job that can finish it. Runs whose
// job failed for good, vanished (Redis flushed) or completed without ending the run are closed here;
// QUEUED runs whose job vanished are re-enqueued (Postgres is the source of truth).
import type { TDb } from "@concord/db";
import {
  type TJobPayload,
  type TJobsClient,
  TRAIN_QUEUES,
  trainJobId,
  trainQueueOfStored,
} from "@concord/jobs";
import type { Job } from "bullmq";
import { failSnapshotJob } from "./jobs/snapshot-job";
import { finishRun } from "./run-state";

async function findTrainJob(jobs: TJobsClient, runId: string): Promise<{ job: Job; queue: string } | null> {
  for (const queue of TRAIN_QUEUES) {
    const job = await jobs.queue(queue).getJob(trainJobId(runId));
    if (job) return { job, queue };
  }
  return null;
}

type TSnapshotMethod = TJobPayload<"snapshot-labels">["method"];

/** Job states in which a worker will still finish the row: leave it alone. */
const PENDING = new Set(["active", "waiting", "delayed", "prioritized", "waiting-children", "unknown"]);

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
    if (PENDING.has(state)) continue;
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

/**
 * The same rule for SnapshotJob rows: one whose job failed for good, vanished while running or completed
 * without ending the row is FAILED with the reason; a QUEUED one whose job vanished is enqueued again.
 */
export async function reconcileSnapshotJobs(
  db: TDb,
  jobs: TJobsClient,
  options: { queuedGraceMs?: number } = {},
): Promise<TReconcileReport> {
  const report: TReconcileReport = { failed: [], cancelled: [], requeued: [] };
  const grace = options.queuedGraceMs ?? 60_000;
  const rows = await db.snapshotJob.findMany({ where: { status: { in: ["QUEUED", "RUNNING"] } } });
  for (const row of rows) {
    const job = row.jobId ? await jobs.queue("labels").getJob(row.jobId) : null;
    const state = job ? await job.getState() : "missing";
    if (PENDING.has(state)) continue;
    if (state === "failed" || state === "completed") {
      const reason =
        state === "failed" ? job?.failedReason || "job failed" : "job completed without a snapshot";
      // Re-read: the job may have ended the row itself between the two reads.
      const now = await db.snapshotJob.findUnique({ where: { id: row.id }, select: { status: true } });
      if (now?.status === "QUEUED" || now?.status === "RUNNING") {
        await failSnapshotJob(db, row.id, reason);
        report.failed.push(row.id);
      }
      continue;
    }
    if (row.status === "RUNNING") {
      await failSnapshotJob(db, row.id, "job lost from the queue while running (Redis data lost)");
      report.failed.push(row.id);
    } else if (Date.now() - row.createdAt.getTime() > grace) {
      const { jobId } = await jobs.snapshotLabels({
        datasetId: row.datasetId,
        method: row.method as TSnapshotMethod,
        params: (row.params ?? {}) as Record<string, unknown>,
        createdById: row.createdById ?? undefined,
        snapshotJobId: row.id,
      });
      await db.snapshotJob.update({ where: { id: row.id }, data: { jobId } });
      report.requeued.push(row.id);
    }
  }
  return report;
}

// Postgres vs queue: a run, prediction set or snapshot request must never stay RUNNING (or QUEUED) with no job
// that can finish it. Rows whose job failed for good, vanished (Redis flushed) or completed without ending the row are closed
// here; QUEUED rows whose job vanished are re-enqueued (Postgres is the source of truth).
import type { TDb } from "@concord/db";
import {
  predictJobId,
  type TJobPayload,
  type TJobsClient,
  TRAIN_QUEUES,
  trainJobId,
  trainQueueOfStored,
} from "@concord/jobs";
import type { Job } from "bullmq";
import { finishRow, type TLifecycleTable } from "./run-state";

async function findJob(jobs: TJobsClient, jobId: string): Promise<Job | null> {
  for (const queue of TRAIN_QUEUES) {
    const job = await jobs.queue(queue).getJob(jobId);
    if (job) return job;
  }
  return null;
}

export type TReconcileReport = { failed: string[]; cancelled: string[]; requeued: string[] };

type TLiveRow = { id: string; status: string; cancelRequested?: boolean; createdAt: Date };

async function reconcileRows(
  db: TDb,
  table: TLifecycleTable,
  rows: TLiveRow[],
  kind: {
    what: string;
    find: (id: string) => Promise<Job | null>;
    enqueue: (id: string) => Promise<unknown>;
  },
  grace: number,
  report: TReconcileReport,
) {
  const finish = (id: string, status: "FAILED" | "CANCELLED", error: string) =>
    finishRow(db, table, id, status, { error });
  for (const row of rows) {
    const job = await kind.find(row.id);
    const state = job ? await job.getState() : "missing";
    if (state === "active" || state === "waiting" || state === "delayed" || state === "prioritized") continue;
    if (state === "waiting-children" || state === "unknown") continue;
    if (row.status === "QUEUED" && row.cancelRequested) {
      if (await finish(row.id, "CANCELLED", "cancelled before it started")) report.cancelled.push(row.id);
      continue;
    }
    if (state === "failed") {
      if (await finish(row.id, "FAILED", job?.failedReason || "job failed")) report.failed.push(row.id);
      continue;
    }
    if (state === "completed") {
      if (await finish(row.id, "FAILED", `job completed without finishing the ${kind.what}`))
        report.failed.push(row.id);
      continue;
    }
    // missing
    if (row.status === "RUNNING") {
      if (await finish(row.id, "FAILED", "job lost from the queue while running (Redis data lost)"))
        report.failed.push(row.id);
    } else if (Date.now() - row.createdAt.getTime() > grace) {
      await kind.enqueue(row.id);
      report.requeued.push(row.id);
    }
  }
}

export async function reconcileRuns(
  db: TDb,
  jobs: TJobsClient,
  options: { queuedGraceMs?: number } = {},
): Promise<TReconcileReport> {
  const report: TReconcileReport = { failed: [], cancelled: [], requeued: [] };
  const grace = options.queuedGraceMs ?? 60_000;
  const live = { status: { in: ["QUEUED" as const, "RUNNING" as const] } };
  const base = { id: true, status: true, cancelRequested: true, createdAt: true } as const;
  const runs = await db.trainingRun.findMany({ where: live, select: { ...base, config: true } });
  const runQueue = new Map(runs.map((r) => [r.id, trainQueueOfStored(r.config)]));
  await reconcileRows(
    db,
    "trainingRun",
    runs,
    {
      what: "run",
      find: (id) => findJob(jobs, trainJobId(id)),
      enqueue: (id) => jobs.train({ runId: id }, { queue: runQueue.get(id) }),
    },
    grace,
    report,
  );
  // A prediction set waits on the queue its run trained on.
  const sets = await db.predictionSet.findMany({
    where: live,
    select: { ...base, run: { select: { config: true } } },
  });
  const setQueue = new Map(sets.map((s) => [s.id, trainQueueOfStored(s.run.config)]));
  await reconcileRows(
    db,
    "predictionSet",
    sets,
    {
      what: "prediction set",
      find: (id) => findJob(jobs, predictJobId(id)),
      enqueue: (id) => jobs.predict({ setId: id }, { queue: setQueue.get(id) }),
    },
    grace,
    report,
  );
  return report;
}

type TSnapshotMethod = TJobPayload<"snapshot-labels">["method"];

/** The same rule for SnapshotJob rows (queue "labels"; the row keeps its job id, which is not derived). */
export async function reconcileSnapshotJobs(
  db: TDb,
  jobs: TJobsClient,
  options: { queuedGraceMs?: number } = {},
): Promise<TReconcileReport> {
  const report: TReconcileReport = { failed: [], cancelled: [], requeued: [] };
  const rows = await db.snapshotJob.findMany({ where: { status: { in: ["QUEUED", "RUNNING"] } } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  await reconcileRows(
    db,
    "snapshotJob",
    rows,
    {
      what: "snapshot request",
      find: async (id) => {
        const jobId = byId.get(id)?.jobId;
        return jobId ? ((await jobs.queue("labels").getJob(jobId)) ?? null) : null;
      },
      enqueue: async (id) => {
        const row = byId.get(id)!;
        const { jobId } = await jobs.snapshotLabels({
          datasetId: row.datasetId,
          method: row.method as TSnapshotMethod,
          params: (row.params ?? {}) as Record<string, unknown>,
          createdById: row.createdById ?? undefined,
          snapshotJobId: row.id,
        });
        await db.snapshotJob.update({ where: { id }, data: { jobId } });
      },
    },
    options.queuedGraceMs ?? 60_000,
    report,
  );
  return report;
}

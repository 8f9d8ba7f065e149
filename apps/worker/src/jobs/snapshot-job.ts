// A snapshot-labels job with its SnapshotJob row (written QUEUED by the web): RUNNING while it aggregates,
// then SUCCEEDED with the snapshot, back to QUEUED between BullMQ attempts, FAILED with the reason after the
// last one. Guarded updates (status filter), so a late duplicate never moves a finished row back.
import type { Prisma, RunStatus, TDb } from "@concord/db";
import type { TJobPayload, TSnapshotLabelsProgress, TSnapshotLabelsResult } from "@concord/jobs";
import { UnrecoverableError } from "bullmq";
import { snapshotLabels } from "./snapshot-labels";

export type TSnapshotJobContext = {
  id: string;
  attemptsMade: number;
  attempts: number;
  updateProgress: (p: TSnapshotLabelsProgress) => Promise<void> | void;
};

const LIVE: { in: RunStatus[] } = { in: ["QUEUED", "RUNNING"] };

/** Ends a live row FAILED with the reason (also used when the payload itself is refused). */
export async function failSnapshotJob(db: TDb, id: string, error: string) {
  await db.snapshotJob.updateMany({
    where: { id, status: LIVE },
    data: { status: "FAILED", error, finishedAt: new Date() },
  });
}

export async function runSnapshotJob(
  db: TDb,
  payload: TJobPayload<"snapshot-labels">,
  job: TSnapshotJobContext,
): Promise<TSnapshotLabelsResult> {
  const id = payload.snapshotJobId;
  if (!id) return snapshotLabels(db, payload, job.updateProgress);
  const started = await db.snapshotJob.updateMany({
    where: { id, status: LIVE },
    data: { status: "RUNNING", jobId: job.id, attempts: job.attemptsMade + 1, error: null },
  });
  if (started.count === 0) {
    const row = await db.snapshotJob.findUnique({ where: { id }, select: { status: true } });
    throw new UnrecoverableError(`snapshot job ${id} is ${row ? row.status.toLowerCase() : "gone"}`);
  }
  await db.snapshotJob.updateMany({ where: { id, startedAt: null }, data: { startedAt: new Date() } });
  try {
    const result = await snapshotLabels(db, payload, async (p) => {
      await job.updateProgress(p);
      await db.snapshotJob.updateMany({
        where: { id, status: "RUNNING" },
        data: { progress: p as Prisma.InputJsonValue },
      });
    });
    await db.snapshotJob.updateMany({
      where: { id, status: LIVE },
      data: {
        status: "SUCCEEDED",
        snapshotId: result.snapshotId,
        reused: !result.created,
        finishedAt: new Date(),
      },
    });
    return result;
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    if (error instanceof UnrecoverableError || job.attemptsMade + 1 >= job.attempts) {
      await failSnapshotJob(db, id, message);
    } else {
      await db.snapshotJob.updateMany({
        where: { id, status: "RUNNING" },
        data: { status: "QUEUED", error: `attempt ${job.attemptsMade + 1} failed (${message}); retrying` },
      });
    }
    throw error;
  }
}

// A snapshot-labels job with its SnapshotJob row (written QUEUED by the web): RUNNING while it aggregates,
// then SUCCEEDED with the snapshot, back to QUEUED between BullMQ attempts, FAILED with the reason after the
// last one. The guarded transitions of run-state.ts, so a late duplicate never moves a finished row back.
import type { TDb } from "@concord/db";
import type { TJobPayload, TSnapshotLabelsProgress, TSnapshotLabelsResult } from "@concord/jobs";
import { UnrecoverableError } from "bullmq";
import { finishRow, markRunning, requeueRun, setLive } from "../run-state";
import { snapshotLabels } from "./snapshot-labels";

export type TSnapshotJobContext = {
  id: string;
  attemptsMade: number;
  attempts: number;
  updateProgress: (p: TSnapshotLabelsProgress) => Promise<void> | void;
};

export async function runSnapshotJob(
  db: TDb,
  payload: TJobPayload<"snapshot-labels">,
  job: TSnapshotJobContext,
): Promise<TSnapshotLabelsResult> {
  const id = payload.snapshotJobId;
  if (!id) return snapshotLabels(db, payload, job.updateProgress);
  if (!(await markRunning(db, id, { jobId: job.id, attempt: job.attemptsMade + 1 }, "snapshotJob"))) {
    const row = await db.snapshotJob.findUnique({ where: { id }, select: { status: true } });
    throw new UnrecoverableError(`snapshot job ${id} is ${row ? row.status.toLowerCase() : "gone"}`);
  }
  try {
    const result = await snapshotLabels(db, payload, async (p) => {
      await job.updateProgress(p);
      await setLive(db, "snapshotJob", id, { progress: p });
    });
    await finishRow(db, "snapshotJob", id, "SUCCEEDED", {
      snapshotId: result.snapshotId,
      reused: !result.created,
    });
    return result;
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    if (error instanceof UnrecoverableError || job.attemptsMade + 1 >= job.attempts) {
      await finishRow(db, "snapshotJob", id, "FAILED", { error: message });
    } else {
      await requeueRun(
        db,
        id,
        `attempt ${job.attemptsMade + 1} failed (${message}); retrying`,
        "snapshotJob",
      );
    }
    throw error;
  }
}

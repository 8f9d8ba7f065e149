// Runs inside the BullMQ sandboxed child process (see processor.mjs): tfjs work never blocks the parent,
// whose event loop keeps renewing the job lock. Every payload is re-validated here.
import { getDb } from "@concord/db";
import { isJobName, JOBS, type TJobName, type TJobPayload } from "@concord/jobs";
import { type SandboxedJob, UnrecoverableError } from "bullmq";
import { ZodError } from "zod";
import { loadEnv } from "./env";
import { evaluateRun } from "./jobs/evaluate";
import { failSnapshotJob, runSnapshotJob } from "./jobs/snapshot-job";
import { trainRun } from "./jobs/train";
import { finishRun } from "./run-state";

function parse<N extends TJobName>(name: N, data: unknown): TJobPayload<N> {
  try {
    return JOBS[name].payload.parse(data) as TJobPayload<N>;
  } catch (error) {
    if (error instanceof ZodError) {
      const reason = error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`).join("; ");
      throw new UnrecoverableError(`invalid ${name} payload: ${reason}`);
    }
    throw error;
  }
}

export async function processJob(job: SandboxedJob): Promise<unknown> {
  const env = loadEnv();
  const db = getDb();
  const name = job.name;
  if (!isJobName(name)) throw new UnrecoverableError(`unknown job "${name}"`);
  const ctx = {
    id: String(job.id),
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    updateProgress: (p: object) => job.updateProgress(p),
  };
  switch (name) {
    case "snapshot-labels": {
      let payload: TJobPayload<"snapshot-labels">;
      try {
        payload = parse(name, job.data);
      } catch (error) {
        const rowId = (job.data as { snapshotJobId?: unknown } | null)?.snapshotJobId;
        if (typeof rowId === "string" && rowId) await failSnapshotJob(db, rowId, (error as Error).message);
        throw error;
      }
      return runSnapshotJob(db, payload, ctx);
    }
    case "train": {
      let payload: TJobPayload<"train">;
      try {
        payload = parse(name, job.data);
      } catch (error) {
        // Keep the reason on the run when the payload at least names one.
        const runId = (job.data as { runId?: unknown } | null)?.runId;
        if (typeof runId === "string" && runId)
          await finishRun(db, runId, "FAILED", { error: (error as Error).message });
        throw error;
      }
      return trainRun(db, env, payload, ctx);
    }
    case "evaluate":
      return evaluateRun(db, env, parse(name, job.data), (p) => job.updateProgress(p));
  }
}

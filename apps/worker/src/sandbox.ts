// Runs inside the BullMQ sandboxed child process (see processor.mjs): tfjs work never blocks the parent,
// whose event loop keeps renewing the job lock. Every payload is re-validated here.
import { getDb, type TDb } from "@concord/db";
import { isJobName, JOBS, type TJobName, type TJobPayload } from "@concord/jobs";
import { type SandboxedJob, UnrecoverableError } from "bullmq";
import { ZodError } from "zod";
import { loadEnv } from "./env";
import { evaluateRun } from "./jobs/evaluate";
import { predictSet } from "./jobs/predict";
import { runSnapshotJob } from "./jobs/snapshot-job";
import { trainRun } from "./jobs/train";
import { finishRow, type TLifecycleTable } from "./run-state";

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

/** Parses a payload that points at a row; when it at least names the row, the reason is kept there. */
const ROW_ID = { trainingRun: "runId", predictionSet: "setId", snapshotJob: "snapshotJobId" } as const;

async function parseOwned<N extends "train" | "predict" | "snapshot-labels">(
  db: TDb,
  name: N,
  data: unknown,
  table: TLifecycleTable,
): Promise<TJobPayload<N>> {
  try {
    return parse(name, data);
  } catch (error) {
    const id = (data as Record<string, unknown> | null)?.[ROW_ID[table]];
    if (typeof id === "string" && id)
      await finishRow(db, table, id, "FAILED", { error: (error as Error).message });
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
    case "snapshot-labels":
      return runSnapshotJob(db, await parseOwned(db, name, job.data, "snapshotJob"), ctx);
    case "train":
      return trainRun(db, env, await parseOwned(db, name, job.data, "trainingRun"), ctx);
    case "evaluate":
      return evaluateRun(db, env, parse(name, job.data), (p) => job.updateProgress(p));
    case "predict":
      return predictSet(db, env, await parseOwned(db, name, job.data, "predictionSet"), ctx);
  }
}

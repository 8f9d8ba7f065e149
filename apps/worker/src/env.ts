// Worker configuration, validated once at start: a malformed variable stops the process naming it.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ZDbEnv } from "@concord/db";
import { parseQueueList, type TQueueName, ZJobsEnv } from "@concord/jobs";
import { ZTrainerEnv } from "@concord/trainer/env";
import { z } from "zod";

export const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

// The worker reads the database's, the queue's and the trainer's variables through their packages' own schemas.
export const ZWorkerEnv = ZDbEnv.extend(ZJobsEnv.shape).extend({
  // CONCORD_TF_BACKEND (gpu, node, ...), CONCORD_TF_FORCE_CPU, CONCORD_NATIVE_KERNELS, CONCORD_REQUIRE_NATIVE.
  ...ZTrainerEnv.shape,
  /** Queues this worker drains, e.g. "train-gpu,train,evaluate" on a GPU box, "labels,train,evaluate" on CPU. */
  CONCORD_WORKER_QUEUES: z
    .string()
    .default("labels,train,evaluate")
    .transform((v, ctx): TQueueName[] => {
      try {
        return parseQueueList(v);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
        return z.NEVER;
      }
    }),
  /** Jobs run at once per queue by this worker (each in its own sandboxed child process). */
  CONCORD_WORKER_CONCURRENCY: int(1, 1),
  CONCORD_WORKER_PORT: int(3100),
  CONCORD_WORKER_HOST: z.string().default("0.0.0.0"),
  CONCORD_BOARD_TOKEN: z.string().min(8, "must be at least 8 characters").optional(),
  CONCORD_ARTIFACTS_DIR: z.string().min(1).default(resolve(repoRoot, ".artifacts")),
  /** The trainer's data-parallel gradient threads per run (one WASM instance each); 1 = in-process. */
  CONCORD_TRAINER_THREADS: int(1, 1),
  /** BullMQ lock and stalled detection: a dead worker's job is retried after about lock + interval. */
  CONCORD_LOCK_DURATION_MS: int(30_000, 1000),
  CONCORD_STALLED_INTERVAL_MS: int(15_000, 500),
  CONCORD_MAX_STALLED: int(2, 0),
  /** How often Postgres runs are reconciled against queue state (RUNNING with no live job -> FAILED). */
  CONCORD_RECONCILE_MS: int(30_000, 200),
  /** On SIGTERM, how long the current epoch may run on before the run is stopped at the last checkpoint. */
  CONCORD_SHUTDOWN_GRACE_MS: int(60_000, 0),
  /** The code version runs record (a build-time stamp for images without .git); else `git rev-parse HEAD`. */
  CONCORD_CODE_VERSION: z.string().trim().max(200).optional(),
  /** Postgres poll for cancelRequested (the Redis broadcast is the fast path). */
  CONCORD_CANCEL_POLL_MS: int(500, 50),
});

export type TWorkerEnv = z.infer<typeof ZWorkerEnv>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): TWorkerEnv {
  const parsed = ZWorkerEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid worker environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

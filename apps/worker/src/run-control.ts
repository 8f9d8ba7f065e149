// Stop signals for one run (or prediction set) inside the sandboxed child: cancel (web: Redis broadcast +
// Postgres flag, polled) and drain (this worker is shutting down: stop at the end of the current epoch, or
// after a grace period).
import type { TDb } from "@concord/db";
import { cancelChannel, createRedisConnection } from "@concord/jobs";
import type { TLifecycleTable } from "./run-state";

export type TStopReason = "cancel" | "shutdown";

/** Channel on which a worker's main process asks its own sandboxed children (by parent pid) to drain. */
export function drainChannel(prefix: string): string {
  return `${prefix}:worker-drain`;
}

export type TRunControl = {
  signal: AbortSignal;
  reason: () => TStopReason | undefined;
  /** Call after each epoch's checkpoint: a pending drain stops the run there. */
  atEpochEnd: () => void;
  stop: () => Promise<void>;
};

export function controlRun(options: {
  db: TDb;
  /** A TrainingRun id, or a PredictionSet id with table "predictionSet". */
  runId: string;
  table?: TLifecycleTable;
  redisUrl: string;
  prefix: string;
  pollMs: number;
  graceMs: number;
}): TRunControl {
  const { db, runId, prefix } = options;
  const controller = new AbortController();
  let reason: TStopReason | undefined;
  let draining = false;
  let graceTimer: NodeJS.Timeout | undefined;

  const abort = (why: TStopReason) => {
    if (controller.signal.aborted) return;
    reason = why;
    controller.abort(new Error(why === "cancel" ? "run cancelled" : "worker shutting down"));
  };
  const drain = () => {
    if (draining) return;
    draining = true;
    // Past the grace period the run stops mid-epoch and resumes from the previous epoch's checkpoint.
    graceTimer = setTimeout(() => abort("shutdown"), options.graceMs);
  };

  const sub = createRedisConnection({ url: options.redisUrl });
  sub.on("error", () => {});
  sub.on("message", (channel, message) => {
    if (channel === cancelChannel(prefix) && message === runId) abort("cancel");
    if (channel === drainChannel(prefix) && message === String(process.ppid)) drain();
  });
  void sub.subscribe(cancelChannel(prefix), drainChannel(prefix)).catch(() => {});

  // Postgres is the truth: the poll catches a cancel whose broadcast was missed (Redis blip, late subscribe).
  let polling = false;
  const poll = setInterval(async () => {
    if (polling || controller.signal.aborted) return;
    polling = true;
    try {
      const query = { where: { id: runId }, select: { cancelRequested: true } } as const;
      const run =
        options.table === "predictionSet"
          ? await db.predictionSet.findUnique(query)
          : await db.trainingRun.findUnique(query);
      if (!run || run.cancelRequested) abort("cancel");
    } catch {
      // DB blip: the next tick retries.
    } finally {
      polling = false;
    }
  }, options.pollMs);

  const onSigterm = () => drain();
  process.on("SIGTERM", onSigterm);
  process.on("SIGINT", onSigterm);

  return {
    signal: controller.signal,
    reason: () => reason,
    atEpochEnd: () => {
      if (draining) abort("shutdown");
    },
    stop: async () => {
      clearInterval(poll);
      clearTimeout(graceTimer);
      process.off("SIGTERM", onSigterm);
      process.off("SIGINT", onSigterm);
      sub.disconnect();
    },
  };
}

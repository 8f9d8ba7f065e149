// A run with predictAfter != "none" gets a predict job once it has succeeded. The PredictionSet row is the
// truth: if the enqueue fails, the reconciler enqueues the QUEUED set later.
import type { TDb } from "@concord/db";
import { createJobsClient, foldsOf, type TRunConfig, trainQueueFor } from "@concord/jobs";
import type { TWorkerEnv } from "./env";

export async function launchPredictionsAfterRun(
  db: TDb,
  env: TWorkerEnv,
  run: { id: string; datasetId: string; createdById: string | null },
  config: TRunConfig,
  log: (line: string) => void,
): Promise<string | null> {
  if (config.predictAfter === "none") return null;
  // Once per run: a train job retried after it ended the run must not launch a second set.
  if ((await db.predictionSet.count({ where: { runId: run.id } })) > 0) return null;
  const scheme = config.predictAfter;
  const set = await db.predictionSet.create({
    data: {
      datasetId: run.datasetId,
      runId: run.id,
      scheme,
      folds: foldsOf({ scheme, folds: config.predictFolds }),
      // Scored as the run scored itself (its evaluation's mirror TTA), fixed for the set's lifetime.
      tta: config.ttaEval,
      createdById: run.createdById,
    },
  });
  const jobs = createJobsClient({ redisUrl: env.REDIS_URL, prefix: env.CONCORD_QUEUE_PREFIX });
  try {
    const { jobId } = await jobs.predict({ setId: set.id }, { queue: trainQueueFor(config) });
    await db.predictionSet.update({ where: { id: set.id }, data: { jobId } });
    log(`predictions ${set.id} (${scheme}${scheme === "cross-fit" ? `, ${set.folds} folds` : ""}) queued`);
  } catch (error) {
    log(`predictions ${set.id} not queued yet (${(error as Error).message}); the reconciler retries`);
  } finally {
    await jobs.close();
  }
  return set.id;
}

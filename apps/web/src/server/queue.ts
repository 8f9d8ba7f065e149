import "server-only";
import {
  createJobsClient,
  type TJobsClient,
  type TRunConfig,
  type TSnapshotLabelsPayload,
  trainQueueFor,
  trainQueueOfStored,
} from "@concord/jobs";

// One producer client per web process, created on first use (not at import: `next build` must not dial
// Redis) and kept on globalThis so dev hot reloads do not leak connections.
const globalForJobs = globalThis as unknown as { concordJobs?: TJobsClient };

export function jobs(): TJobsClient {
  globalForJobs.concordJobs ??= createJobsClient();
  return globalForJobs.concordJobs;
}

export async function enqueueTrainJob(runId: string, config: Pick<TRunConfig, "backend">): Promise<string> {
  const r = await jobs().train({ runId }, { queue: trainQueueFor(config) });
  return r.jobId;
}

export async function enqueueSnapshotJob(payload: TSnapshotLabelsPayload): Promise<string> {
  const r = await jobs().snapshotLabels(payload);
  return r.jobId;
}

export async function publishCancel(runId: string) {
  return jobs().requestCancel(runId);
}

/** A prediction set waits on the queue its run trained on; resuming replaces its finished job. */
export async function enqueuePredictJob(
  setId: string,
  runConfig: unknown,
  opts: { resume?: boolean } = {},
): Promise<string> {
  const r = await jobs().predict(
    { setId },
    { queue: trainQueueOfStored(runConfig), replaceFinished: opts.resume === true },
  );
  return r.jobId;
}

export async function publishPredictCancel(setId: string) {
  return jobs().requestPredictCancel(setId);
}

import "server-only";
import {
  createJobsClient,
  type TJobsClient,
  type TRunConfig,
  type TSnapshotLabelsPayload,
  trainQueueFor,
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

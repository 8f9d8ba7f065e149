import "server-only";
import { createJobsClient, type TJobsClient, type TSnapshotLabelsPayload } from "@concord/jobs";

// One producer client per web process, created on first use (not at import: `next build` must not dial
// Redis) and kept on globalThis so dev hot reloads do not leak connections.
const globalForJobs = globalThis as unknown as { concordJobs?: TJobsClient };

export function jobs(): TJobsClient {
  globalForJobs.concordJobs ??= createJobsClient();
  return globalForJobs.concordJobs;
}

// Runs that ask for a GPU go to the queue only GPU workers drain; everything else to "train".
export async function enqueueTrainJob(runId: string, backend?: string): Promise<string> {
  const r = await jobs().train({ runId }, backend === "gpu" ? { queue: "train-gpu" } : {});
  return r.jobId;
}

export async function enqueueSnapshotJob(payload: TSnapshotLabelsPayload): Promise<string> {
  const r = await jobs().snapshotLabels(payload);
  return r.jobId;
}

export async function publishCancel(runId: string) {
  return jobs().requestCancel(runId);
}

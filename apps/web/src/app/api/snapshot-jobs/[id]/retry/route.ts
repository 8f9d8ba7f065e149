import { isQueueUnavailableError } from "@concord/jobs";
import { ACCESS } from "@/lib/roles";
import { withRole } from "@/server/guards";
import { queueUnavailable } from "@/server/http";
import { retrySnapshotJob } from "@/server/snapshots/snapshots";

// Retry = a new snapshot request with the same dataset, method and parameters (the failed one stays listed).
export const POST = withRole<{ id: string }>(ACCESS.admin, async (_req, { params, user }) => {
  try {
    return Response.json(await retrySnapshotJob(params.id, user.id), { status: 202 });
  } catch (error) {
    if (isQueueUnavailableError(error)) return queueUnavailable("the retry was not queued.");
    throw error;
  }
});

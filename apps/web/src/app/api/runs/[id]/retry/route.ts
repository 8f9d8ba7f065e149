import { isQueueUnavailableError } from "@concord/jobs";
import { withRole } from "@/server/guards";
import { queueUnavailable } from "@/server/http";
import { retryRun } from "@/server/runs/runs";

// Retry = a new run with the same config (the failed/cancelled one stays in the history).
export const POST = withRole<{ id: string }>(["ADMIN"], async (_req, { params, user }) => {
  try {
    return Response.json(await retryRun(params.id, user.id), { status: 201 });
  } catch (error) {
    if (isQueueUnavailableError(error)) return queueUnavailable("the retry was not created.");
    throw error;
  }
});

import { isQueueUnavailableError } from "@concord/jobs";
import { withRole } from "@/server/guards";
import { queueUnavailable } from "@/server/http";
import { resumePredictions } from "@/server/predictions/predictions";

export const POST = withRole<{ id: string }>(["ADMIN"], async (_req, { params }) => {
  try {
    return Response.json(await resumePredictions(params.id));
  } catch (error) {
    if (isQueueUnavailableError(error)) return queueUnavailable("the prediction set was not resumed.");
    throw error;
  }
});

import { isQueueUnavailableError } from "@concord/jobs";
import { ZPredictRequest } from "@concord/jobs/run-config";
import { parseJson, withRole } from "@/server/guards";
import { queueUnavailable } from "@/server/http";
import { launchPredictions, listPredictionSets } from "@/server/predictions/predictions";

export const GET = withRole(["ADMIN", "RESEARCHER"], async (req) => {
  const url = new URL(req.url);
  const sets = await listPredictionSets({
    runId: url.searchParams.get("runId") ?? undefined,
    datasetId: url.searchParams.get("datasetId") ?? undefined,
  });
  return Response.json({ sets }, { headers: { "Cache-Control": "no-store" } });
});

// Launch: validate (400 naming the field, nothing written) -> PredictionSet QUEUED -> enqueue `predict` on the
// run's training queue. Redis down -> 503 and the set row is removed again.
export const POST = withRole(["ADMIN"], async (req, { user }) => {
  const request = await parseJson(req, ZPredictRequest);
  try {
    return Response.json(await launchPredictions(request, user.id), { status: 201 });
  } catch (error) {
    if (isQueueUnavailableError(error)) return queueUnavailable("the prediction set was not created.");
    throw error;
  }
});

import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { getPredictionSet } from "@/server/predictions/predictions";

// Polled by the run page while a set is queued or running.
export const GET = withRole<{ id: string }>(["ADMIN", "RESEARCHER"], async (_req, { params }) => {
  const set = await getPredictionSet(params.id);
  if (!set) return jsonError(404, "No such prediction set");
  return Response.json(set, { headers: { "Cache-Control": "no-store" } });
});

import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { getRunDetail } from "@/server/runs/runs";

// Polled every ~2 s by the live run page: status, epoch, in-epoch progress and the curves so far.
export const GET = withRole<{ id: string }>(["ADMIN", "RESEARCHER"], async (_req, { params }) => {
  const run = await getRunDetail(params.id);
  if (!run) return jsonError(404, "No such run");
  return Response.json(run, { headers: { "Cache-Control": "no-store" } });
});

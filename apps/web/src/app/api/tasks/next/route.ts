import { jsonAnswer, sessionRoute } from "@/server/guards";
import { nextTaskFor } from "@/server/tasks/next-task";

export const dynamic = "force-dynamic";

// GET /api/tasks/next[?datasetId=] -> { task: TTask | null, progress }; the image is leased to the caller.
// GET.plain is the same route for apps/web/server.mjs (see sessionRoute).
export const GET = sessionRoute(async (req, { userId }) => {
  const body = await nextTaskFor(userId, req.searchParams.get("datasetId") ?? undefined);
  // no-transform: the body is mostly a base64 PNG, which gzip cannot shrink enough to pay for itself.
  return jsonAnswer(body, 200, { "Cache-Control": "no-store, no-transform" });
});

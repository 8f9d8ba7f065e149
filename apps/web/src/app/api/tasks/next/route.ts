import { withSession } from "@/server/guards";
import { json } from "@/server/http";
import { nextTaskFor } from "@/server/tasks/next-task";

export const dynamic = "force-dynamic";

// GET /api/tasks/next[?datasetId=] -> { task: TTask | null, progress }; the image is leased to the caller.
export const GET = withSession(async (req, { userId }) => {
  const body = await nextTaskFor(userId, req.nextUrl.searchParams.get("datasetId") ?? undefined);
  // no-transform: the body is mostly a base64 PNG, which gzip cannot shrink enough to pay for itself.
  return json(body, 200, { "Cache-Control": "no-store, no-transform" });
});

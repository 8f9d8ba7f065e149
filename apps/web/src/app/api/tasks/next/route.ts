import { ACCESS } from "@/lib/roles";
import { jsonError, withRole } from "@/server/guards";
import { findNextTask, pruneExpiredLeases } from "@/server/tasks/assign";
import { annotatorProgress } from "@/server/tasks/progress";

export const dynamic = "force-dynamic";

let lastPrune = 0;

// GET /api/tasks/next[?datasetId=] -> { task: TTask | null, progress }; the image is leased to the caller.
export const GET = withRole(ACCESS.label, async (req, { user }) => {
  if (user.pausedAt)
    return jsonError(403, "Your account is paused", { paused: true, reason: user.pausedReason });
  if (Date.now() - lastPrune > 60_000) {
    lastPrune = Date.now();
    void pruneExpiredLeases().catch(() => {});
  }
  const datasetId = req.nextUrl.searchParams.get("datasetId") ?? undefined;
  const [task, progress] = await Promise.all([
    findNextTask(user.id, { datasetId }),
    annotatorProgress(user.id),
  ]);
  return Response.json({ task, progress }, { headers: { "Cache-Control": "no-store" } });
});

import { ACCESS } from "@/lib/roles";
import { jsonError, parseJson, withRole } from "@/server/guards";
import { castVote, ZVoteBody } from "@/server/tasks/votes";

// POST /api/votes { imageId, label, requestId, durationMs? } -> 201 new vote, 200 replay of the same
// requestId, 400 bad body / label, 404 unknown image, 409 second vote on an image, 403 paused.
export const POST = withRole(ACCESS.label, async (req, { user }) => {
  const body = await parseJson(req, ZVoteBody);
  if (user.pausedAt)
    return jsonError(403, "Your account is paused", { paused: true, reason: user.pausedReason });
  const { status, ...result } = await castVote(user.id, body);
  return Response.json(result, { status });
});

import { ACCESS } from "@/lib/roles";
import { accessError, jsonAnswer, loadUser, parseJson, sessionRoute } from "@/server/guards";
import { castVote, ZVoteBody } from "@/server/tasks/votes";

// POST /api/votes { imageId, label, requestId, durationMs?, next? } -> 201 new vote, 200 replay of the same
// requestId, 400 bad body / label, 404 unknown image, 409 second vote on an image, 403 paused.
// One SQL statement reads the caller's row (role, pause) and writes the vote (see castVote). With `next` (the
// labelling page), a 2xx answer also carries `next`: the caller's next task, leased as by GET /api/tasks/next
// (null: nothing left), in the vote's own transaction when it can be (one round trip, see castVote); left out
// when this vote paused the caller or the pick failed (the vote stands; the page then asks GET /api/tasks/next).
// POST.plain is the same route for apps/web/server.mjs (see sessionRoute).
export const POST = sessionRoute(async (req, { userId }) => {
  const body = await parseJson(req, ZVoteBody).catch(async (error: unknown) => {
    // A bad body from someone who may not vote is still a 401/403, as in every other route.
    const denied = accessError(await loadUser(userId), ACCESS.label);
    throw denied ?? error;
  });
  const { status, ...result } = await castVote(userId, body, { roles: ACCESS.label });
  return jsonAnswer(result, status);
});

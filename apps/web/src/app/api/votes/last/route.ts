import { ACCESS } from "@/lib/roles";
import { withRole } from "@/server/guards";
import { undoLastVote } from "@/server/tasks/votes";

// DELETE /api/votes/last: removes the caller's own most recent vote (never anyone else's).
export const DELETE = withRole(ACCESS.label, async (_req, { user }) =>
  Response.json(await undoLastVote(user.id)),
);

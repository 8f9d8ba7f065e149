import { ACCESS } from "@/lib/roles";
import { withRole } from "@/server/guards";
import { json } from "@/server/http";
import { revokeImageAction } from "@/server/review/actions";

// POST /api/images/actions/:id/revoke (admin): undo a review action; it stays in the image's history.
// 404 unknown action, 409 already revoked.
export const POST = withRole<{ id: string }>(ACCESS.admin, async (_req, { user, params }) =>
  json(await revokeImageAction(user.id, params.id)),
);

import { ACCESS } from "@/lib/roles";
import { parseJson, withRole } from "@/server/guards";
import { json } from "@/server/http";
import { ZImageActionBody } from "@/server/review/action-form";
import { applyImageActions } from "@/server/review/actions";

// POST /api/images/actions { action: "more-votes" | "accept" | "exclude", imageIds: [...], votes? } (admin):
// one review action on each image -> 201 { action, created, skipped }; 400 bad body or unknown image, nothing
// written.
export const POST = withRole(ACCESS.admin, async (req, { user }) => {
  const body = await parseJson(req, ZImageActionBody);
  return json(await applyImageActions(user.id, body), 201);
});

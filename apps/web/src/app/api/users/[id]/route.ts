import { ACCESS } from "@/lib/roles";
import { parseJson, withRole } from "@/server/guards";
import { updateUser, ZUpdateUser } from "@/server/users/users";

// PATCH /api/users/:id { role?, resume? }: change a role, or resume an annotator paused by gold accuracy.
export const PATCH = withRole<{ id: string }>(ACCESS.admin, async (req, { user, params }) => {
  const change = await parseJson(req, ZUpdateUser);
  return Response.json({ user: await updateUser(user.id, params.id, change) });
});

import { ACCESS } from "@/lib/roles";
import { excludeAnnotator, includeAnnotator, ZExclude } from "@/server/annotators/exclusions";
import { parseJson, withRole } from "@/server/guards";

// POST { reason? }: leave this annotator's votes out of later snapshots (201; 409 when already excluded).
export const POST = withRole<{ id: string }>(ACCESS.admin, async (req, { user, params }) => {
  const { reason } = await parseJson(req, ZExclude);
  return Response.json({ exclusion: await excludeAnnotator(user.id, params.id, reason) }, { status: 201 });
});

// DELETE: include them again (the exclusion row stays, with who included them and when).
export const DELETE = withRole<{ id: string }>(ACCESS.admin, async (_req, { user, params }) =>
  Response.json(await includeAnnotator(user.id, params.id)),
);

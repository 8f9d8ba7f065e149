import { z } from "zod";
import { ACCESS } from "@/lib/roles";
import { allowAnotherAttempt } from "@/server/checks/qualification";
import { parseJson, withRole } from "@/server/guards";

const ZAllow = z.object({ datasetId: z.string().trim().min(1, "required").max(64) });

// POST /api/users/:id/qualification { datasetId } (admin) -> one more qualification attempt for the annotator:
// their latest failed attempt is voided (kept on record). 409 when there is none.
export const POST = withRole<{ id: string }>(ACCESS.admin, async (req, { params }) => {
  const { datasetId } = await parseJson(req, ZAllow);
  return Response.json(await allowAnotherAttempt(params.id, datasetId));
});

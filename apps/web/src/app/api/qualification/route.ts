import { z } from "zod";
import { ACCESS } from "@/lib/roles";
import { retryQualification } from "@/server/checks/qualification";
import { parseJson, withRole } from "@/server/guards";
import { json } from "@/server/http";

const ZRetry = z.object({ datasetId: z.string().trim().min(1, "required").max(64) });

// POST /api/qualification { datasetId } -> 201 a new attempt started, 200 one is open already; 403 no attempt
// left (ask an admin), 404 no round on that dataset, 409 passed already.
export const POST = withRole(ACCESS.label, async (req, { user }) => {
  const { datasetId } = await parseJson(req, ZRetry);
  const { state, started } = await retryQualification(user.id, datasetId);
  return json({ qualification: state }, started ? 201 : 200);
});

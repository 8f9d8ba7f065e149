import { ZDatasetChecks } from "@/lib/check-settings";
import { ACCESS } from "@/lib/roles";
import { datasetChecks, updateDatasetChecks } from "@/server/checks/settings";
import { parseJson, withRole } from "@/server/guards";
import { jsonError } from "@/server/http";

// GET /api/datasets/:id/checks -> the dataset's check, guideline and qualification settings and its gold pool.
export const GET = withRole<{ id: string }>(ACCESS.admin, async (_req, { params }) => {
  const checks = await datasetChecks(params.id);
  return checks ? Response.json(checks) : jsonError(404, "No such dataset");
});

// PATCH /api/datasets/:id/checks { every field of ZDatasetChecks } -> 200 saved, 400 bad field, 404.
export const PATCH = withRole<{ id: string }>(ACCESS.admin, async (req, { params }) => {
  const input = await parseJson(req, ZDatasetChecks);
  return Response.json(await updateDatasetChecks(params.id, input));
});

import { getDatasetSummary, leakReport, votesPerImageHistogram } from "@/server/datasets/datasets";
import { ZStoppingSetting } from "@/server/datasets/stopping-form";
import { parseJson, withRole } from "@/server/guards";
import { json, jsonError } from "@/server/http";
import { setStoppingPrior } from "@/server/tasks/model-stopping";

export const GET = withRole<{ id: string }>(["ADMIN"], async (_req, { params }) => {
  const summary = await getDatasetSummary(params.id);
  if (!summary) return jsonError(404, "No such dataset");
  const [histogram, leaks] = await Promise.all([
    votesPerImageHistogram(summary.id),
    leakReport(summary.id, 24),
  ]);
  return Response.json({ ...summary, histogram, leaks });
});

// PATCH /api/datasets/:id { stoppingPrior: "panel" | "model" } (admin): the prior of the assignment's
// stopping rule -> 200 { stopping } (which prior is in use now); 400 "model" before the dataset has
// predictions, 404 unknown dataset.
export const PATCH = withRole<{ id: string }>(["ADMIN"], async (req, { params }) => {
  const { stoppingPrior } = await parseJson(req, ZStoppingSetting);
  const stopping = await setStoppingPrior(params.id, stoppingPrior === "model" ? "MODEL" : "PANEL");
  return json({ stopping });
});

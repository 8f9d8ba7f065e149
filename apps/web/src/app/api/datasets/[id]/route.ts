import { getDatasetSummary, leakReport, votesPerImageHistogram } from "@/server/datasets/datasets";
import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";

export const GET = withRole<{ id: string }>(["ADMIN"], async (_req, { params }) => {
  const summary = await getDatasetSummary(params.id);
  if (!summary) return jsonError(404, "No such dataset");
  const [histogram, leaks] = await Promise.all([
    votesPerImageHistogram(summary.id),
    leakReport(summary.id, 24),
  ]);
  return Response.json({ ...summary, histogram, leaks });
});

import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { exportVotes, readFormat } from "@/server/queries/exports";

export const GET = withRole(["RESEARCHER", "ADMIN"], async (req) => {
  const url = new URL(req.url);
  const datasetId = url.searchParams.get("datasetId");
  if (!datasetId) return jsonError(400, "datasetId: required");
  return exportVotes(datasetId, readFormat(url));
});

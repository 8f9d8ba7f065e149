import { exportVotes } from "@/server/datasets/votes-export";
import { readFormat } from "@/server/download";
import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";

export const GET = withRole(["RESEARCHER", "ADMIN"], async (req) => {
  const url = new URL(req.url);
  const datasetId = url.searchParams.get("datasetId");
  if (!datasetId) return jsonError(400, "datasetId: required");
  return exportVotes(datasetId, readFormat(url));
});

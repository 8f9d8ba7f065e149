import { exportAnnotators } from "@/server/datasets/votes-export";
import { readFormat } from "@/server/download";
import { withRole } from "@/server/guards";
import { fieldError } from "@/server/http";

// The annotators of a dataset's votes file: id, name, quality statistics, flags, exclusion.
export const GET = withRole(["RESEARCHER", "ADMIN"], async (req) => {
  const url = new URL(req.url);
  const datasetId = url.searchParams.get("datasetId");
  if (!datasetId) throw fieldError("datasetId", "required");
  return exportAnnotators(datasetId, readFormat(url));
});

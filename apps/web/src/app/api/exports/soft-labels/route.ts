import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { exportSoftLabels, readFormat } from "@/server/queries/exports";

export const GET = withRole(["RESEARCHER", "ADMIN"], async (req) => {
  const url = new URL(req.url);
  const snapshotId = url.searchParams.get("snapshotId");
  if (!snapshotId) return jsonError(400, "snapshotId: required");
  return exportSoftLabels(snapshotId, readFormat(url));
});

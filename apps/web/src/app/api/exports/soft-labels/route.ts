import { readFormat } from "@/server/download";
import { withRole } from "@/server/guards";
import { fieldError } from "@/server/http";
import { exportSoftLabels } from "@/server/snapshots/soft-labels-export";

export const GET = withRole(["RESEARCHER", "ADMIN"], async (req) => {
  const url = new URL(req.url);
  const snapshotId = url.searchParams.get("snapshotId");
  if (!snapshotId) throw fieldError("snapshotId", "required");
  return exportSoftLabels(snapshotId, readFormat(url));
});

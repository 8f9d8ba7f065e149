import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { getSnapshotDetail } from "@/server/snapshots/snapshots";

export const GET = withRole<{ id: string }>(["ADMIN", "RESEARCHER"], async (_req, { params }) => {
  const snap = await getSnapshotDetail(params.id);
  return snap ? Response.json(snap) : jsonError(404, "No such snapshot");
});

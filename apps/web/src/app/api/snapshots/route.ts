import { isQueueUnavailableError } from "@concord/jobs";
import { parseJson, withRole } from "@/server/guards";
import { queueUnavailable } from "@/server/http";
import { ZSnapshotForm } from "@/server/snapshots/snapshot-form";
import { createSnapshot, listSnapshots } from "@/server/snapshots/snapshots";

export const GET = withRole(["ADMIN", "RESEARCHER"], async (req) => {
  const datasetId = new URL(req.url).searchParams.get("datasetId") ?? undefined;
  return Response.json(
    { snapshots: await listSnapshots(datasetId) },
    { headers: { "Cache-Control": "no-store" } },
  );
});

// Aggregation runs in the worker (EM does not belong in a request): this only enqueues `snapshot-labels`.
export const POST = withRole(["ADMIN"], async (req, { user }) => {
  const form = await parseJson(req, ZSnapshotForm);
  try {
    return Response.json(await createSnapshot(form, user.id), { status: 202 });
  } catch (error) {
    if (isQueueUnavailableError(error)) return queueUnavailable("the snapshot was not queued.");
    throw error;
  }
});

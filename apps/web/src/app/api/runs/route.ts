import type { RunStatus } from "@concord/db";
import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { fieldError, isQueueUnavailableError, queueUnavailable, readJsonBody } from "@/server/respond";
import { parseRunConfig } from "@/server/runs/run-config";
import { launchRun, listRuns } from "@/server/runs/runs";

const STATUSES = new Set(["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]);

export const GET = withRole(["ADMIN", "RESEARCHER"], async (req) => {
  const url = new URL(req.url);
  const status = url.searchParams.get("status");
  if (status && !STATUSES.has(status)) return jsonError(400, `status: one of ${[...STATUSES].join(", ")}`);
  const runs = await listRuns({
    datasetId: url.searchParams.get("datasetId") ?? undefined,
    status: (status as RunStatus | null) ?? undefined,
  });
  return Response.json({ runs });
});

// Launch: validate (400 naming the field) -> TrainingRun QUEUED -> enqueue `train`. Redis down -> 503 and
// the run row is removed again, so the list never shows a run that no worker will pick up.
export const POST = withRole(["ADMIN"], async (req, { user }) => {
  const parsed = parseRunConfig(await readJsonBody(req));
  if (!parsed.ok) return fieldError(parsed.error);
  try {
    const run = await launchRun(parsed.value, user.id);
    return Response.json(run, { status: 201 });
  } catch (error) {
    if (isQueueUnavailableError(error)) return queueUnavailable("the run was not created.");
    throw error;
  }
});

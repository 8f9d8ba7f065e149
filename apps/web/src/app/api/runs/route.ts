import type { RunStatus } from "@concord/db";
import { isQueueUnavailableError } from "@concord/jobs";
import { ZRunConfigChecked } from "@concord/jobs/run-config";
import { parseJson, withRole } from "@/server/guards";
import { fieldError, queueUnavailable } from "@/server/http";
import { launchRun, listRuns } from "@/server/runs/runs";

const STATUSES = new Set(["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]);

export const GET = withRole(["ADMIN", "RESEARCHER"], async (req) => {
  const url = new URL(req.url);
  const status = url.searchParams.get("status");
  if (status && !STATUSES.has(status)) throw fieldError("status", `one of ${[...STATUSES].join(", ")}`);
  const runs = await listRuns({
    datasetId: url.searchParams.get("datasetId") ?? undefined,
    status: (status as RunStatus | null) ?? undefined,
  });
  return Response.json({ runs });
});

// Launch: validate (400 naming the field) -> TrainingRun QUEUED -> enqueue `train`. Redis down -> 503 and
// the run row is removed again, so the list never shows a run that no worker will pick up.
export const POST = withRole(["ADMIN"], async (req, { user }) => {
  const config = await parseJson(req, ZRunConfigChecked);
  try {
    const run = await launchRun(config, user.id);
    return Response.json(run, { status: 201 });
  } catch (error) {
    if (isQueueUnavailableError(error)) return queueUnavailable("the run was not created.");
    throw error;
  }
});

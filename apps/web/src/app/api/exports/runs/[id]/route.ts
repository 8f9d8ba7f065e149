import { download } from "@/server/download";
import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { getRunScatter } from "@/server/runs/run-dashboard";
import { getRunDetail } from "@/server/runs/runs";

// Run report: config, seed, backend, code version, every epoch, every evaluation (each with its split)
// and the agreement-vs-F1 points, in one JSON file.
export const GET = withRole<{ id: string }>(["RESEARCHER", "ADMIN"], async (_req, { params }) => {
  const run = await getRunDetail(params.id);
  if (!run) return jsonError(404, "No such run");
  const scatter = await getRunScatter(run);
  const report = {
    kind: "concord-run-report",
    version: 1,
    exportedAt: new Date().toISOString(),
    run,
    scatter,
  };
  return download(JSON.stringify(report, null, 2), `concord-run-${run.id}.json`, "json");
});

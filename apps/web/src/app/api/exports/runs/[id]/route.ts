import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { download } from "@/server/queries/exports";
import { getRunScatter } from "@/server/queries/run-dashboard";
import { getRunDetail } from "@/server/queries/runs";

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

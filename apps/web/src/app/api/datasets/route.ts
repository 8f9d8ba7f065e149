import { listDatasets } from "@/server/datasets/datasets";
import { importFolder, ZFolderImport } from "@/server/datasets/import";
import { withRole } from "@/server/guards";
import { jsonError } from "@/server/http";
import { fieldError, readJsonBody } from "@/server/respond";
import { parseWithField } from "@/server/runs/run-config";

export const GET = withRole(["ADMIN"], async (req) => {
  const k = new URL(req.url).searchParams.get("k");
  const kNum = k === null ? undefined : Number(k);
  if (kNum !== undefined && (!Number.isInteger(kNum) || kNum < 1 || kNum > 100)) {
    return jsonError(400, "k: an integer between 1 and 100");
  }
  return Response.json({ datasets: await listDatasets(kNum) });
});

// Server-side folder import (FER+ / FER2013 / generic). Runs in the request: the importer streams and
// batches, and reports added / skipped / rejected with file and line.
export const POST = withRole(["ADMIN"], async (req) => {
  const parsed = parseWithField(ZFolderImport, await readJsonBody(req));
  if (!parsed.ok) return fieldError(parsed.error);
  const report = await importFolder(parsed.value);
  return Response.json(report, { status: report.aborted ? 422 : 200 });
});

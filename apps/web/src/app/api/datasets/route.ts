import { listDatasets } from "@/server/datasets/datasets";
import { importFolder, ZFolderImport } from "@/server/datasets/import";
import { parseJson, withRole } from "@/server/guards";
import { fieldError } from "@/server/http";

export const GET = withRole(["ADMIN"], async (req) => {
  const k = new URL(req.url).searchParams.get("k");
  const kNum = k === null ? undefined : Number(k);
  if (kNum !== undefined && (!Number.isInteger(kNum) || kNum < 1 || kNum > 100)) {
    throw fieldError("k", "an integer between 1 and 100");
  }
  return Response.json({ datasets: await listDatasets(kNum) });
});

// Server-side folder import (FER+ / FER2013 / generic). Runs in the request: the importer streams and
// batches, and reports added / skipped / rejected with file and line.
export const POST = withRole(["ADMIN"], async (req) => {
  const report = await importFolder(await parseJson(req, ZFolderImport));
  return Response.json(report, { status: report.aborted ? 422 : 200 });
});

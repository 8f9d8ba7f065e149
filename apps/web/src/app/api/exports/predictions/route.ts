import { readFormat } from "@/server/download";
import { withRole } from "@/server/guards";
import { fieldError } from "@/server/http";
import { exportPredictions } from "@/server/predictions/predictions-export";

export const GET = withRole(["RESEARCHER", "ADMIN"], async (req) => {
  const url = new URL(req.url);
  const setId = url.searchParams.get("set");
  if (!setId) throw fieldError("set", "required (a prediction set id)");
  return exportPredictions(setId, readFormat(url));
});

import { exportVotes } from "@/server/datasets/votes-export";
import { readFormat } from "@/server/download";
import { withRole } from "@/server/guards";
import { fieldError } from "@/server/http";

// ?names=1 puts each annotator's name beside their id; without it the votes file is pseudonymous.
export const GET = withRole(["RESEARCHER", "ADMIN"], async (req) => {
  const url = new URL(req.url);
  const datasetId = url.searchParams.get("datasetId");
  if (!datasetId) throw fieldError("datasetId", "required");
  const names = url.searchParams.get("names");
  if (names !== null && names !== "0" && names !== "1") throw fieldError("names", "0 or 1");
  return exportVotes(datasetId, readFormat(url), { names: names === "1" });
});

import { ACCESS } from "@/lib/roles";
import { HttpError, withRole } from "@/server/guards";
import { json } from "@/server/http";
import { getImageHistory } from "@/server/review/history";

// GET /api/images/:id (admin, researcher): the image's votes per class, latest out-of-sample prediction and
// review history.
export const GET = withRole<{ id: string }>(ACCESS.research, async (_req, { params }) => {
  const history = await getImageHistory(params.id);
  if (!history) throw new HttpError(404, `Unknown image "${params.id}"`);
  return json(history);
});

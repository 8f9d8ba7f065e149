import { withRole } from "@/server/guards";
import { cancelPredictions } from "@/server/predictions/predictions";

export const POST = withRole<{ id: string }>(["ADMIN"], async (_req, { params }) => {
  return Response.json(await cancelPredictions(params.id));
});

import { withRole } from "@/server/guards";
import { requestCancel } from "@/server/runs/runs";

export const POST = withRole<{ id: string }>(["ADMIN"], async (_req, { params }) => {
  return Response.json(await requestCancel(params.id));
});

import { ROLES } from "@/lib/roles";
import { db } from "@/server/db";
import { HttpError, withRole } from "@/server/guards";
import { encodeGrayPng } from "@/server/tasks/png";

// GET /api/images/:id/png: the stored 48x48 face as PNG (pixels never change: cache privately for a day).
export const GET = withRole<{ id: string }>(ROLES, async (_req, { params }) => {
  const image = await db().image.findUnique({
    where: { id: params.id },
    select: { pixels: true, width: true, height: true },
  });
  if (!image) throw new HttpError(404, `Unknown image "${params.id}"`);
  const png = encodeGrayPng(image.pixels, image.width, image.height);
  return new Response(new Uint8Array(png), {
    headers: { "Content-Type": "image/png", "Cache-Control": "private, max-age=86400, immutable" },
  });
});

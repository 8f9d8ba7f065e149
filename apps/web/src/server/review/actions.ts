import "server-only";
import { db } from "../db";
import { fieldError, HttpError } from "../http";
import { IMAGE_ACTION_KIND, type TImageActionBody } from "./action-form";
import { loadCrowdCounts } from "./crowd-counts";

export type TActionOutcome = { action: TImageActionBody["action"]; created: number; skipped: string[] };

// Records one review action on each image, by this admin. Every image must exist (400 naming the first
// unknown one, nothing written). "more-votes" sets the image's vote target to its identified votes now + N
// (a trigger raises ImageTally.target: the image reopens and is served first) and is refused for gold images,
// which are only ever served as check questions. "accept" records the crowd label accepted, "exclude" the
// crowd label at the time; an image that already has an active one of those is skipped (listed in skipped).
export async function applyImageActions(userId: string, body: TImageActionBody): Promise<TActionOutcome> {
  const ids = [...new Set(body.imageIds)];
  const images = await loadCrowdCounts({ imageIds: ids });
  const byId = new Map(images.map((i) => [i.imageId, i]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0)
    throw fieldError(
      "imageIds",
      `unknown image "${unknown[0]}"${unknown.length > 1 ? ` (+${unknown.length - 1} more)` : ""}`,
    );
  const kind = IMAGE_ACTION_KIND[body.action];
  if (kind === "MORE_VOTES") {
    const gold = images.find((i) => i.gold);
    if (gold)
      throw fieldError("imageIds", `image "${gold.imageId}" is a gold check question: it gets no more votes`);
  }
  return db().$transaction(async (tx) => {
    const active =
      kind === "MORE_VOTES"
        ? []
        : await tx.imageAction.findMany({
            where: { imageId: { in: ids }, kind, revokedAt: null },
            select: { imageId: true },
          });
    const skip = new Set(active.map((a) => a.imageId));
    const data = images
      .filter((i) => !skip.has(i.imageId))
      .map((i) => ({
        imageId: i.imageId,
        kind,
        createdById: userId,
        ...(kind === "MORE_VOTES"
          ? { votes: body.votes!, target: i.webVotes + body.votes! }
          : { label: i.taxonomy[i.crowdLabel] ?? null }),
      }));
    // A concurrent request may have accepted/excluded the same image since: the partial unique index
    // ("ImageAction_active_key") turns that insert into a no-op.
    const { count } = await tx.imageAction.createMany({ data, skipDuplicates: true });
    return { action: body.action, created: count, skipped: [...skip] };
  });
}

// Undoes an action (it stays in the history, marked revoked by whom and when): 404 unknown, 409 already revoked.
export async function revokeImageAction(userId: string, actionId: string) {
  const { count } = await db().imageAction.updateMany({
    where: { id: actionId, revokedAt: null },
    data: { revokedAt: new Date(), revokedById: userId },
  });
  if (count === 1) return { revoked: actionId };
  const exists = await db().imageAction.findUnique({ where: { id: actionId }, select: { revokedAt: true } });
  if (!exists) throw new HttpError(404, `Unknown action "${actionId}"`);
  throw new HttpError(409, `Action "${actionId}" was already revoked`);
}

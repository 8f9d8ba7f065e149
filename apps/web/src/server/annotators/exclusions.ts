import "server-only";
import { z } from "zod";
import { db } from "../db";
import { HttpError } from "../http";

// Excluding an annotator leaves their votes out of every later label snapshot (the worker reads the active
// rows); nothing is deleted, and including them again keeps the row, with who and when, as the record.

export const ZExclude = z.object({
  reason: z.string().trim().max(500, "reason: at most 500 characters").default(""),
});

export type TExclusion = {
  id: string;
  reason: string;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
};

export async function excludeAnnotator(actorId: string, annotatorId: string, reason: string) {
  const user = await db().user.findUnique({ where: { id: annotatorId }, select: { id: true } });
  if (!user) throw new HttpError(404, "Unknown user");
  try {
    return await db().annotatorExclusion.create({
      data: { annotatorId, reason, createdById: actorId },
      select: { id: true, createdAt: true },
    });
  } catch (error) {
    // The partial unique index: one active exclusion per annotator.
    if ((error as { code?: string }).code === "P2002")
      throw new HttpError(409, "This annotator is already excluded");
    throw error;
  }
}

export async function includeAnnotator(actorId: string, annotatorId: string) {
  const r = await db().annotatorExclusion.updateMany({
    where: { annotatorId, revokedAt: null },
    data: { revokedAt: new Date(), revokedById: actorId },
  });
  if (r.count === 0) {
    const user = await db().user.findUnique({ where: { id: annotatorId }, select: { id: true } });
    throw new HttpError(user ? 409 : 404, user ? "This annotator is not excluded" : "Unknown user");
  }
  return { included: true };
}

export async function exclusionHistory(annotatorId: string): Promise<TExclusion[]> {
  const rows = await db().annotatorExclusion.findMany({
    where: { annotatorId },
    orderBy: { createdAt: "desc" },
    include: { createdBy: { select: { name: true } }, revokedBy: { select: { name: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    reason: r.reason,
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy?.name ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    revokedBy: r.revokedBy?.name ?? null,
  }));
}

/** annotatorId -> since when they are excluded (active rows only). */
export async function activeExclusions(): Promise<Map<string, string>> {
  const rows = await db().annotatorExclusion.findMany({
    where: { revokedAt: null },
    select: { annotatorId: true, createdAt: true },
  });
  return new Map(rows.map((r) => [r.annotatorId, r.createdAt.toISOString()]));
}

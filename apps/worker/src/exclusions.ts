// Annotators an admin has excluded (AnnotatorExclusion rows not revoked): their votes are left out of the
// crowd input of every later snapshot (and of the majority labels a run evaluates on), and each snapshot
// records whom it left out and how many of their votes.
import type { Prisma, TDb } from "@concord/db";

export type TExcludedAnnotator = { annotatorId: string; exclusionId: string; votes: number };

export async function loadExclusions(
  db: TDb,
  imageWhere: Prisma.ImageWhereInput,
): Promise<TExcludedAnnotator[]> {
  const rows = await db.annotatorExclusion.findMany({
    where: { revokedAt: null },
    select: { id: true, annotatorId: true },
    orderBy: { annotatorId: "asc" },
  });
  if (rows.length === 0) return [];
  const counts = await db.vote.groupBy({
    by: ["annotatorId"],
    where: { annotatorId: { in: rows.map((r) => r.annotatorId) }, image: imageWhere },
    _count: { _all: true },
  });
  const votesOf = new Map(counts.map((c) => [c.annotatorId, c._count._all]));
  return rows.map((r) => ({
    annotatorId: r.annotatorId,
    exclusionId: r.id,
    votes: votesOf.get(r.annotatorId) ?? 0,
  }));
}

import "server-only";
import { db } from "../db";

export type TProgress = { today: number; total: number };

export async function annotatorProgress(annotatorId: string): Promise<TProgress> {
  const startOfDay = new Date();
  startOfDay.setUTCHours(0, 0, 0, 0);
  const [today, total] = await Promise.all([
    db().vote.count({ where: { annotatorId, createdAt: { gte: startOfDay } } }),
    db().vote.count({ where: { annotatorId } }),
  ]);
  return { today, total };
}

export type TGoldStats = { answered: number; correct: number; accuracy: number | null };

// Per-annotator gold accuracy over all datasets, or over one.
export async function goldStats(annotatorId: string, datasetId?: string): Promise<TGoldStats> {
  const rows = await db().$queryRaw<{ answered: number; correct: number }[]>`
    SELECT count(*)::int AS answered, count(*) FILTER (WHERE v.label = g.label)::int AS correct
    FROM "Vote" v JOIN "GoldLabel" g ON g."imageId" = v."imageId" JOIN "Image" i ON i.id = v."imageId"
    WHERE v."annotatorId" = ${annotatorId} AND (${datasetId ?? null}::text IS NULL OR i."datasetId" = ${datasetId ?? null})`;
  const answered = rows[0]?.answered ?? 0;
  const correct = rows[0]?.correct ?? 0;
  return { answered, correct, accuracy: answered ? correct / answered : null };
}

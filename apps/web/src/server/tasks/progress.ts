import "server-only";
import { db } from "../db";
import { query } from "../sql";

export type TProgress = { today: number; total: number };

// Today (UTC) and all time, one index scan of the annotator's votes.
export const PROGRESS_COLUMNS = `count(*)::int AS total,
  count(*) FILTER (WHERE "createdAt" >= date_trunc('day', now() AT TIME ZONE 'UTC'))::int AS today`;

const PROGRESS = {
  name: "progress.annotator",
  text: `SELECT ${PROGRESS_COLUMNS} FROM "Vote" WHERE "annotatorId" = $1`,
};

export async function annotatorProgress(annotatorId: string): Promise<TProgress> {
  const [row] = await query<TProgress>(PROGRESS, [annotatorId]);
  return { today: row?.today ?? 0, total: row?.total ?? 0 };
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

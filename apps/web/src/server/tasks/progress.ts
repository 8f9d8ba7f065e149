import "server-only";
import { query } from "../sql";

export type TProgress = { today: number; total: number };

// Today (UTC) and all time: the annotator's row of "AnnotatorProgress", kept by a trigger on "Vote" (migration
// 20261201200000_annotator_progress), read through concord_annotator_progress (0, 0 for no votes). It was a
// count of the annotator's votes, which grew with them (0.9 ms at 5,000 votes).
export const PROGRESS_FROM = "concord_annotator_progress($1)";

const PROGRESS = {
  name: "progress.annotator",
  text: `SELECT today, total FROM ${PROGRESS_FROM}`,
};

export async function annotatorProgress(annotatorId: string): Promise<TProgress> {
  const [row] = await query<TProgress>(PROGRESS, [annotatorId]);
  return { today: row?.today ?? 0, total: row?.total ?? 0 };
}

export type TGoldStats = { answered: number; correct: number; accuracy: number | null };

// Answers to check questions and how many were right: one definition for the /label page (goldStats) and
// the vote statement (which adds the vote it is inserting). Columns, then the rows they count; callers add
// the annotator (and dataset) condition on v and i.
export const GOLD_COLUMNS = `count(*)::int AS answered, count(*) FILTER (WHERE v.label = g.label)::int AS correct`;
export const GOLD_VOTES = `"Vote" v JOIN "GoldLabel" g ON g."imageId" = v."imageId" JOIN "Image" i ON i.id = v."imageId"`;

// The latest check answers of an annotator on a dataset since their probation start (NULL: all), newest
// first, as right/wrong: what the pause rule judges (src/lib/check-rule.ts). Expressions, as SQL text.
export const recentCheckOutcomes = (annotator: string, dataset: string, since: string, limit: string) => `(
  SELECT coalesce(array_agg(w.ok ORDER BY w."createdAt" DESC, w.id DESC), '{}') FROM (
    SELECT v.label = g.label AS ok, v."createdAt", v.id FROM ${GOLD_VOTES}
    WHERE v."annotatorId" = ${annotator} AND i."datasetId" = ${dataset}
      AND v."createdAt" >= coalesce(${since}, '-infinity'::timestamp)
    ORDER BY v."createdAt" DESC, v.id DESC LIMIT ${limit}) w)`;

const GOLD_STATS = {
  name: "progress.gold",
  text: `SELECT ${GOLD_COLUMNS} FROM ${GOLD_VOTES}
         WHERE v."annotatorId" = $1 AND ($2::text IS NULL OR i."datasetId" = $2)`,
};

// Per-annotator gold accuracy over all datasets, or over one.
export async function goldStats(annotatorId: string, datasetId?: string): Promise<TGoldStats> {
  const [row] = await query<{ answered: number; correct: number }>(GOLD_STATS, [
    annotatorId,
    datasetId ?? null,
  ]);
  const answered = row?.answered ?? 0;
  const correct = row?.correct ?? 0;
  return { answered, correct, accuracy: answered ? correct / answered : null };
}

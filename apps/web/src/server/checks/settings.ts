import "server-only";
import type { TDatasetChecks } from "@/lib/check-settings";
import { db } from "../db";
import { fieldError, HttpError } from "../http";
import { query } from "../sql";
import { exampleGold } from "./gold-pool";

export const CHECK_FIELDS = {
  goldMinAccuracy: true,
  goldMinAnswers: true,
  goldWindow: true,
  goldConfidence: true,
  guidelines: true,
  guideExamples: true,
  qualificationSize: true,
  qualificationPassMark: true,
  qualificationAttempts: true,
} as const;

export type TGoldPool = { gold: number; examples: number; checkFaces: number };

// The dataset's gold faces and how many are guideline examples with `perLabel` examples per label.
// $1 dataset, $2 examples per label.
const POOL = {
  name: "checks.goldPool",
  text: `SELECT count(*)::int AS gold,
                count(*) FILTER (WHERE g."imageId" IN (${exampleGold("$1", "$2")}))::int AS examples
         FROM "GoldLabel" g JOIN "Image" i ON i.id = g."imageId" WHERE i."datasetId" = $1`,
};

export async function goldPool(datasetId: string, perLabel: number): Promise<TGoldPool> {
  const [row] = await query<{ gold: number; examples: number }>(POOL, [datasetId, perLabel]);
  const gold = row?.gold ?? 0;
  const examples = row?.examples ?? 0;
  return { gold, examples, checkFaces: gold - examples };
}

export async function datasetChecks(
  idOrSlug: string,
): Promise<(TDatasetChecks & { id: string; pool: TGoldPool }) | null> {
  const d = await db().dataset.findFirst({
    where: { OR: [{ id: idOrSlug }, { slug: idOrSlug }] },
    select: { id: true, ...CHECK_FIELDS },
  });
  return d ? { ...d, pool: await goldPool(d.id, d.guideExamples) } : null;
}

// PATCH /api/datasets/:id/checks. A qualification round cannot ask more faces than the dataset has checks.
export async function updateDatasetChecks(idOrSlug: string, input: TDatasetChecks) {
  const d = await db().dataset.findFirst({
    where: { OR: [{ id: idOrSlug }, { slug: idOrSlug }] },
    select: { id: true },
  });
  if (!d) throw new HttpError(404, "No such dataset");
  const pool = await goldPool(d.id, input.guideExamples);
  if (input.qualificationSize > pool.checkFaces) {
    throw fieldError(
      "qualificationSize",
      `at most ${pool.checkFaces}: the dataset has ${pool.gold} gold faces and ${pool.examples} of them are guideline examples`,
    );
  }
  const saved = await db().dataset.update({ where: { id: d.id }, data: input, select: CHECK_FIELDS });
  return { ...saved, id: d.id, pool };
}

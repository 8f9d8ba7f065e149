import "server-only";
import type { TCheckSettings } from "@/lib/check-rule";
import { checkRuleOf } from "@/lib/check-settings";
import { db } from "../db";
import { query } from "../sql";
import { grayPngDataUrl } from "../tasks/png";
import { exampleGold } from "./gold-pool";

// What the guidelines page shows for a dataset: the admin's note, example faces per label (gold faces, which
// therefore never serve as checks), the check rule and the qualification round.

export type TGuide = {
  dataset: {
    id: string;
    slug: string;
    name: string;
    description: string;
    guidelines: string;
    taxonomy: string[];
  };
  rule: TCheckSettings;
  examples: Record<string, { imageId: string; thumb: string }[]>;
  qualification: { size: number; passMark: number; attempts: number } | null;
};

// $1 dataset, $2 examples per label.
const EXAMPLES = {
  name: "guidelines.examples",
  text: `SELECT g.label, i.id AS "imageId", i.pixels, i.width, i.height
         FROM "GoldLabel" g JOIN "Image" i ON i.id = g."imageId"
         WHERE g."imageId" IN (${exampleGold("$1", "$2")})
         ORDER BY g.label, g."imageId"`,
};

export async function guideFor(datasetId: string): Promise<TGuide | null> {
  const d = await db().dataset.findUnique({ where: { id: datasetId } });
  if (!d) return null;
  const rows = await query<{ label: string; imageId: string; pixels: Buffer; width: number; height: number }>(
    EXAMPLES,
    [d.id, d.guideExamples],
  );
  const examples: TGuide["examples"] = {};
  for (const r of rows) {
    const list = examples[r.label] ?? [];
    list.push({ imageId: r.imageId, thumb: grayPngDataUrl(r.pixels, r.width, r.height) });
    examples[r.label] = list;
  }
  return {
    dataset: {
      id: d.id,
      slug: d.slug,
      name: d.name,
      description: d.description,
      guidelines: d.guidelines,
      taxonomy: d.taxonomy,
    },
    rule: checkRuleOf(d),
    examples,
    qualification:
      d.qualificationSize > 0
        ? { size: d.qualificationSize, passMark: d.qualificationPassMark, attempts: d.qualificationAttempts }
        : null,
  };
}

// Whether the annotator has begun on the dataset (or on any): a vote or a qualification attempt. Until then
// /label shows the guidelines first. $1 user, $2 dataset or NULL.
const STARTED = {
  name: "guidelines.started",
  text: `SELECT EXISTS (SELECT 1 FROM "Vote" v JOIN "Image" i ON i.id = v."imageId"
                        WHERE v."annotatorId" = $1 AND ($2::text IS NULL OR i."datasetId" = $2))
             OR EXISTS (SELECT 1 FROM "QualificationAttempt" t
                        WHERE t."userId" = $1 AND ($2::text IS NULL OR t."datasetId" = $2)) AS started`,
};

export async function hasStarted(userId: string, datasetId: string | null): Promise<boolean> {
  const [row] = await query<{ started: boolean }>(STARTED, [userId, datasetId]);
  return row?.started ?? false;
}

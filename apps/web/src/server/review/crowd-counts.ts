import "server-only";
import { query } from "../sql";

// An image's crowd votes per class, in its dataset's taxonomy order: the web's identified non-gold votes
// (ImageTally.counts) plus the imported tallies (ImportedTally, e.g. FER+'s 10 votes), and the crowd label
// they give: the plurality, ties to the first class in taxonomy order (MV's "lowest" tie-break).
export type TCrowdCounts = {
  imageId: string;
  datasetId: string;
  split: string;
  externalId: string;
  gold: boolean;
  // Identified votes now, and the target a "more votes" action raised (null: none active).
  webVotes: number;
  target: number | null;
  taxonomy: string[];
  counts: number[];
  // Index into taxonomy; -1: no votes yet.
  crowdLabel: number;
};

type TCountsRow = {
  id: string;
  datasetId: string;
  split: string;
  externalId: string;
  taxonomy: string[];
  counts: Record<string, number>;
  votes: number;
  gold: boolean;
  target: number | null;
  imported: number[] | null;
};

// $1 dataset (null: any), $2 image ids (null: all of the dataset).
const COUNTS = {
  name: "review.crowdCounts",
  text: `
SELECT i.id, i."datasetId", i.split::text AS split, i."externalId", d.taxonomy, t.counts, t.votes, t.gold, t.target,
       (SELECT array_agg(x.c ORDER BY x.k) FROM (
          SELECT u.k, sum(u.c)::int AS c FROM "ImportedTally" it, unnest(it.counts) WITH ORDINALITY u(c, k)
          WHERE it."imageId" = i.id GROUP BY u.k) x) AS imported
FROM "Image" i JOIN "ImageTally" t ON t."imageId" = i.id JOIN "Dataset" d ON d.id = i."datasetId"
WHERE ($1::text IS NULL OR i."datasetId" = $1) AND ($2::text[] IS NULL OR i.id = ANY($2::text[]))
ORDER BY i.id`,
};

export function pluralityOf(counts: readonly number[]): number {
  let best = -1;
  for (let c = 0; c < counts.length; c++)
    if (counts[c]! > 0 && (best < 0 || counts[c]! > counts[best]!)) best = c;
  return best;
}

export async function loadCrowdCounts(
  filter: { datasetId: string; imageIds?: undefined } | { datasetId?: undefined; imageIds: string[] },
): Promise<TCrowdCounts[]> {
  const rows = await query<TCountsRow>(COUNTS, [filter.datasetId ?? null, filter.imageIds ?? null]);
  return rows.map((r) => {
    const counts = r.taxonomy.map((label, c) => (r.counts[label] ?? 0) + (r.imported?.[c] ?? 0));
    return {
      imageId: r.id,
      datasetId: r.datasetId,
      split: r.split,
      externalId: r.externalId,
      gold: r.gold,
      webVotes: r.votes,
      target: r.target,
      taxonomy: r.taxonomy,
      counts,
      crowdLabel: pluralityOf(counts),
    };
  });
}

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
  counts: Record<string, number>;
  votes: number;
  gold: boolean;
  target: number | null;
  // One counts array per imported tally source, in taxonomy order.
  imported: number[][] | null;
};

// The imported tallies come back as arrays and are summed here: the per-image unnest in SQL took 2-3x as long on
// 32,000 FER+ faces. One statement per filter (a generic plan of "$1 IS NULL OR ..." would scan every tally).
const countsWhere = (name: string, image: (alias: string) => string) => ({
  name,
  text: `
SELECT i.id, i."datasetId", i.split::text AS split, i."externalId", t.counts, t.votes, t.gold, t.target, it.imported
FROM "Image" i JOIN "ImageTally" t ON t."imageId" = i.id
LEFT JOIN (
  SELECT x."imageId", array_agg(x.counts ORDER BY x.source) AS imported
  FROM "ImportedTally" x JOIN "Image" xi ON xi.id = x."imageId"
  WHERE ${image("xi")}
  GROUP BY x."imageId"
) it ON it."imageId" = i.id
WHERE ${image("i")}
ORDER BY i.id`,
});
// $1 dataset.
const COUNTS_OF_DATASET = countsWhere("review.crowdCountsOfDataset", (a) => `${a}."datasetId" = $1`);
// $1 image ids.
const COUNTS_OF_IMAGES = countsWhere("review.crowdCountsOfImages", (a) => `${a}.id = ANY($1::text[])`);

// $1 dataset ids.
const TAXONOMIES = {
  name: "review.taxonomies",
  text: `SELECT id, taxonomy FROM "Dataset" WHERE id = ANY($1::text[])`,
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
  const rows =
    filter.datasetId !== undefined
      ? await query<TCountsRow>(COUNTS_OF_DATASET, [filter.datasetId])
      : await query<TCountsRow>(COUNTS_OF_IMAGES, [filter.imageIds]);
  const datasets = [...new Set(rows.map((r) => r.datasetId))];
  const taxonomies = new Map(
    (await query<{ id: string; taxonomy: string[] }>(TAXONOMIES, [datasets])).map((d) => [d.id, d.taxonomy]),
  );
  return rows.map((r) => {
    const taxonomy = taxonomies.get(r.datasetId)!;
    const counts = taxonomy.map(
      (label, c) => (r.counts[label] ?? 0) + (r.imported ?? []).reduce((sum, t) => sum + (t[c] ?? 0), 0),
    );
    return {
      imageId: r.id,
      datasetId: r.datasetId,
      split: r.split,
      externalId: r.externalId,
      gold: r.gold,
      webVotes: r.votes,
      target: r.target,
      taxonomy,
      counts,
      crowdLabel: pluralityOf(counts),
    };
  });
}

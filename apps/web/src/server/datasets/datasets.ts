import "server-only";
import type { Split } from "@concord/db";
import { db } from "../db";
import { query } from "../sql";
import { grayToDataUrl } from "./bmp";

export type TSplitCoverage = {
  split: Split;
  images: number;
  // Images holding at least k votes (identified votes + imported tally votes).
  covered: number;
  votes: number;
  tallyVotes: number;
  talliedImages: number;
  gold: number;
};

export type TDatasetSummary = {
  id: string;
  slug: string;
  name: string;
  source: string;
  description: string;
  taxonomy: string[];
  minVotes: number;
  createdAt: Date;
  k: number;
  splits: TSplitCoverage[];
  totals: Omit<TSplitCoverage, "split">;
  snapshots: number;
  runs: number;
  crossSplitDuplicates: number;
};

type TCoverageRow = TSplitCoverage & { datasetId: string };

// One pass over Image with per-image vote and tally totals. $1 k, the coverage threshold; $2 dataset or NULL.
const COVERAGE = {
  name: "datasets.coverage",
  text: `SELECT i."datasetId", i.split::text AS split,
            count(*)::int AS images,
            count(*) FILTER (WHERE coalesce(v.n, 0) + coalesce(t.total, 0) >= $1)::int AS covered,
            coalesce(sum(v.n), 0)::int AS votes,
            coalesce(sum(t.total), 0)::int AS "tallyVotes",
            count(t."imageId")::int AS "talliedImages",
            count(g."imageId")::int AS gold
       FROM "Image" i
       LEFT JOIN (SELECT "imageId", count(*)::int AS n FROM "Vote" GROUP BY 1) v ON v."imageId" = i.id
       LEFT JOIN (SELECT "imageId", sum(c)::int AS total FROM "ImportedTally", unnest(counts) AS c GROUP BY 1) t
              ON t."imageId" = i.id
       LEFT JOIN "GoldLabel" g ON g."imageId" = i.id
      WHERE ($2::text IS NULL OR i."datasetId" = $2)
      GROUP BY 1, 2
      ORDER BY 1, 2`,
};

async function coverageRows(k: number, datasetId?: string): Promise<TCoverageRow[]> {
  return query<TCoverageRow>(COVERAGE, [k, datasetId ?? null]);
}

const SPLIT_ORDER: Split[] = ["TRAIN", "VALID", "TEST"];

function sumSplits(splits: TSplitCoverage[]): Omit<TSplitCoverage, "split"> {
  const t = { images: 0, covered: 0, votes: 0, tallyVotes: 0, talliedImages: 0, gold: 0 };
  for (const s of splits) {
    t.images += s.images;
    t.covered += s.covered;
    t.votes += s.votes;
    t.tallyVotes += s.tallyVotes;
    t.talliedImages += s.talliedImages;
    t.gold += s.gold;
  }
  return t;
}

export async function listDatasets(kOverride?: number, onlyId?: string): Promise<TDatasetSummary[]> {
  const datasets = await db().dataset.findMany({
    where: onlyId ? { id: onlyId } : {},
    orderBy: { createdAt: "asc" },
    include: { _count: { select: { snapshots: true, runs: true } } },
  });
  if (datasets.length === 0) return [];
  const dupCounts = await db().duplicatePair.groupBy({
    by: ["datasetId"],
    where: { crossSplit: true, ...(onlyId ? { datasetId: onlyId } : {}) },
    _count: { _all: true },
  });
  // k differs per dataset (its minVotes) unless the caller fixes it: one query per distinct k.
  const ks = [...new Set(datasets.map((d) => kOverride ?? d.minVotes))];
  const rowsByK = new Map<number, TCoverageRow[]>();
  for (const k of ks) rowsByK.set(k, await coverageRows(k, onlyId));
  return datasets.map((d) => {
    const k = kOverride ?? d.minVotes;
    const rows = (rowsByK.get(k) ?? []).filter((r) => r.datasetId === d.id);
    const splits = SPLIT_ORDER.flatMap((s) => {
      const r = rows.find((x) => x.split === s);
      return r ? [{ ...r, split: s }] : [];
    }).map(({ datasetId: _d, ...rest }) => rest as TSplitCoverage);
    return {
      id: d.id,
      slug: d.slug,
      name: d.name,
      source: d.source,
      description: d.description,
      taxonomy: d.taxonomy,
      minVotes: d.minVotes,
      createdAt: d.createdAt,
      k,
      splits,
      totals: sumSplits(splits),
      snapshots: d._count.snapshots,
      runs: d._count.runs,
      crossSplitDuplicates: dupCounts.find((c) => c.datasetId === d.id)?._count._all ?? 0,
    };
  });
}

export async function getDatasetSummary(idOrSlug: string, k?: number): Promise<TDatasetSummary | null> {
  const d = await db().dataset.findFirst({
    where: { OR: [{ id: idOrSlug }, { slug: idOrSlug }] },
    select: { id: true },
  });
  return d ? ((await listDatasets(k, d.id))[0] ?? null) : null;
}

// Identified votes per image, capped at 10, and how many images have each count. $1 dataset.
const HISTOGRAM = {
  name: "datasets.votesPerImage",
  text: `SELECT least(coalesce(v.n, 0), 10)::int AS n, count(*)::int AS images
       FROM "Image" i
       LEFT JOIN (SELECT "imageId", count(*)::int AS n FROM "Vote" GROUP BY 1) v ON v."imageId" = i.id
      WHERE i."datasetId" = $1
      GROUP BY 1 ORDER BY 1`,
};

// Histogram of identified votes per image (0, 1, 2, ..., 10+) for one dataset.
export async function votesPerImageHistogram(
  datasetId: string,
): Promise<{ votes: string; images: number }[]> {
  const rows = await query<{ n: number; images: number }>(HISTOGRAM, [datasetId]);
  return rows.map((r) => ({ votes: r.n === 10 ? "10+" : String(r.n), images: r.images }));
}

export type TLeakPair = {
  id: string;
  kind: "EXACT" | "NEAR";
  distance: number;
  crossSplit: boolean;
  a: { id: string; split: Split; externalId: string; thumb: string };
  b: { id: string; split: Split; externalId: string; thumb: string };
};

export type TLeakReport = {
  exactCross: number;
  nearCross: number;
  exactWithin: number;
  nearWithin: number;
  // Valid/test faces that have a twin (exact or near) in train: the number that inflates test accuracy.
  evalWithTrainTwin: { VALID: number; TEST: number };
  pairs: TLeakPair[];
  shown: number;
};

// Valid/test faces with an exact or near twin in train, per split. $1 dataset.
const TRAIN_TWINS = {
  name: "datasets.trainTwins",
  text: `SELECT e.split::text AS split, count(DISTINCT e.id)::int AS n
       FROM "DuplicatePair" p
       JOIN "Image" a ON a.id = p."imageAId"
       JOIN "Image" b ON b.id = p."imageBId"
       CROSS JOIN LATERAL (VALUES (a.id, a.split, b.split), (b.id, b.split, a.split)) AS e(id, split, other)
      WHERE p."datasetId" = $1 AND e.split <> 'TRAIN' AND e.other = 'TRAIN'
      GROUP BY 1`,
};

export async function leakReport(datasetId: string, limit = 48): Promise<TLeakReport> {
  const counts = await db().duplicatePair.groupBy({
    by: ["kind", "crossSplit"],
    where: { datasetId },
    _count: { _all: true },
  });
  const count = (kind: string, cross: boolean) =>
    counts.find((c) => c.kind === kind && c.crossSplit === cross)?._count._all ?? 0;
  const twins = await query<{ split: Split; n: number }>(TRAIN_TWINS, [datasetId]);
  const img = {
    select: { id: true, split: true, externalId: true, pixels: true, width: true, height: true },
  };
  const pairs = await db().duplicatePair.findMany({
    where: { datasetId },
    orderBy: [{ crossSplit: "desc" }, { kind: "asc" }, { distance: "asc" }],
    take: limit,
    include: { imageA: img, imageB: img },
  });
  const side = (i: (typeof pairs)[number]["imageA"]) => ({
    id: i.id,
    split: i.split,
    externalId: i.externalId,
    thumb: grayToDataUrl(new Uint8Array(i.pixels), i.width, i.height),
  });
  return {
    exactCross: count("EXACT", true),
    nearCross: count("NEAR", true),
    exactWithin: count("EXACT", false),
    nearWithin: count("NEAR", false),
    evalWithTrainTwin: {
      VALID: twins.find((t) => t.split === "VALID")?.n ?? 0,
      TEST: twins.find((t) => t.split === "TEST")?.n ?? 0,
    },
    pairs: pairs.map((p) => ({
      id: p.id,
      kind: p.kind,
      distance: p.distance,
      crossSplit: p.crossSplit,
      a: side(p.imageA),
      b: side(p.imageB),
    })),
    shown: pairs.length,
  };
}

export async function recentImports(datasetId: string, take = 10) {
  return db().importBatch.findMany({ where: { datasetId }, orderBy: { createdAt: "desc" }, take });
}

export async function datasetOptions(): Promise<
  { id: string; name: string; slug: string; taxonomy: string[] }[]
> {
  return db().dataset.findMany({
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, slug: true, taxonomy: true },
  });
}

import type { TDb } from "@concord/db";
import { findDuplicatePairs, NEAR_DUPLICATE_THRESHOLD } from "./twins";

// The threshold and the pair rule live in ./twins, shared with every evaluation that leaves twins out.
export { NEAR_DUPLICATE_THRESHOLD };

export type TLeakSummary = {
  exactPairs: number;
  nearPairs: number;
  crossSplitPairs: number;
  // Faces of a held-out split with at least one exact / near-or-exact twin in train.
  validWithTrainTwin: { exact: number; near: number };
  testWithTrainTwin: { exact: number; near: number };
  // Faces with a twin in their own split (within-split duplicates).
  withinSplit: { train: number; valid: number; test: number };
};

type TImageHash = { id: string; split: string; sha256: string; phash: string };

/** Finds exact and near-duplicate pairs over the whole dataset and stores the new ones; returns the summary. */
export async function detectDuplicates(
  db: TDb,
  datasetId: string,
  threshold = NEAR_DUPLICATE_THRESHOLD,
): Promise<TLeakSummary> {
  const images = await db.$queryRawUnsafe<TImageHash[]>(
    `SELECT "id", "split"::text AS "split", "sha256", "phash" FROM "Image" WHERE "datasetId" = $1`,
    datasetId,
  );
  const pairs = findDuplicatePairs(images, threshold);
  const rows = pairs.map((p) => {
    const [a, b] = [images[p.a]!, images[p.b]!].sort((x, y) => (x.id < y.id ? -1 : 1)) as [
      TImageHash,
      TImageHash,
    ];
    return { a: a.id, b: b.id, kind: p.kind, d: p.distance, cross: a.split !== b.split };
  });
  const CHUNK = 20_000;
  for (let k = 0; k < rows.length; k += CHUNK) {
    const part = rows.slice(k, k + CHUNK);
    await db.$executeRawUnsafe(
      `INSERT INTO "DuplicatePair" ("id","datasetId","imageAId","imageBId","kind","distance","crossSplit")
       SELECT gen_random_uuid()::text, $1, u.a, u.b, u.kind::"DuplicateKind", u.d, u.xs
       FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::boolean[]) AS u(a, b, kind, d, xs)
       ON CONFLICT ("imageAId","imageBId") DO NOTHING`,
      datasetId,
      part.map((r) => r.a),
      part.map((r) => r.b),
      part.map((r) => r.kind),
      part.map((r) => r.d),
      part.map((r) => r.cross),
    );
  }
  return leakReportById(db, datasetId);
}

export async function leakReportById(db: TDb, datasetId: string): Promise<TLeakSummary> {
  const [counts] = await db.$queryRawUnsafe<{ exact: number; near: number; cross: number }[]>(
    `SELECT count(*) FILTER (WHERE "kind" = 'EXACT')::int AS exact, count(*) FILTER (WHERE "kind" = 'NEAR')::int AS near,
            count(*) FILTER (WHERE "crossSplit")::int AS cross
     FROM "DuplicatePair" WHERE "datasetId" = $1`,
    datasetId,
  );
  // Each pair seen from both ends: (face, its split, twin's split, kind).
  const twins = await db.$queryRawUnsafe<{ split: string; twin: string; exact: number; any: number }[]>(
    `WITH ends AS (
       SELECT "imageAId" AS me, "imageBId" AS other, "kind" FROM "DuplicatePair" WHERE "datasetId" = $1
       UNION ALL
       SELECT "imageBId", "imageAId", "kind" FROM "DuplicatePair" WHERE "datasetId" = $1)
     SELECT m."split"::text AS split, o."split"::text AS twin,
            count(DISTINCT e.me) FILTER (WHERE e."kind" = 'EXACT')::int AS exact, count(DISTINCT e.me)::int AS any
     FROM ends e JOIN "Image" m ON m."id" = e.me JOIN "Image" o ON o."id" = e.other
     GROUP BY 1, 2`,
    datasetId,
  );
  const get = (split: string, twin: string) => twins.find((t) => t.split === split && t.twin === twin);
  return {
    exactPairs: counts?.exact ?? 0,
    nearPairs: counts?.near ?? 0,
    crossSplitPairs: counts?.cross ?? 0,
    validWithTrainTwin: { exact: get("VALID", "TRAIN")?.exact ?? 0, near: get("VALID", "TRAIN")?.any ?? 0 },
    testWithTrainTwin: { exact: get("TEST", "TRAIN")?.exact ?? 0, near: get("TEST", "TRAIN")?.any ?? 0 },
    withinSplit: {
      train: get("TRAIN", "TRAIN")?.any ?? 0,
      valid: get("VALID", "VALID")?.any ?? 0,
      test: get("TEST", "TEST")?.any ?? 0,
    },
  };
}

async function datasetIdOf(db: TDb, slug: string): Promise<string> {
  const ds = await db.dataset.findUnique({ where: { slug }, select: { id: true } });
  if (!ds) throw new Error(`no dataset "${slug}"`);
  return ds.id;
}

/** The leak summary of a dataset, from its stored DuplicatePair rows. */
export async function leakReport(db: TDb, slug: string): Promise<TLeakSummary> {
  return leakReportById(db, await datasetIdOf(db, slug));
}

export type TDuplicate = {
  kind: "EXACT" | "NEAR";
  distance: number;
  crossSplit: boolean;
  a: { id: string; externalId: string; split: string };
  b: { id: string; externalId: string; split: string };
};

/** Stored duplicate pairs of a dataset, closest first; filter to cross-split pairs or one kind. */
export async function listDuplicates(
  db: TDb,
  slug: string,
  opts: { crossSplitOnly?: boolean; kind?: "EXACT" | "NEAR"; take?: number; skip?: number } = {},
): Promise<TDuplicate[]> {
  const datasetId = await datasetIdOf(db, slug);
  const pairs = await db.duplicatePair.findMany({
    where: {
      datasetId,
      ...(opts.crossSplitOnly ? { crossSplit: true } : {}),
      ...(opts.kind ? { kind: opts.kind } : {}),
    },
    orderBy: [{ distance: "asc" }, { id: "asc" }],
    take: opts.take ?? 100,
    skip: opts.skip ?? 0,
    select: {
      kind: true,
      distance: true,
      crossSplit: true,
      imageA: { select: { id: true, externalId: true, split: true } },
      imageB: { select: { id: true, externalId: true, split: true } },
    },
  });
  return pairs.map((p) => ({
    kind: p.kind,
    distance: p.distance,
    crossSplit: p.crossSplit,
    a: p.imageA,
    b: p.imageB,
  }));
}

export function formatLeakSummary(s: TLeakSummary): string[] {
  return [
    `duplicates: ${s.exactPairs} exact pairs (same pixels), ${s.nearPairs} near pairs (phash <= ${NEAR_DUPLICATE_THRESHOLD} bits), ${s.crossSplitPairs} across splits`,
    `leaks: valid faces with a twin in train: ${s.validWithTrainTwin.exact} exact, ${s.validWithTrainTwin.near} exact or near; test: ${s.testWithTrainTwin.exact} exact, ${s.testWithTrainTwin.near} exact or near`,
    `within split: ${s.withinSplit.train} train, ${s.withinSplit.valid} valid, ${s.withinSplit.test} test faces have a twin in their own split`,
  ];
}

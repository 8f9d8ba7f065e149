import "server-only";
import {
  annotatorStats,
  buildVoteSet,
  fleissKappa,
  itemCounts,
  krippendorffAlpha,
  perClassAgreement,
  percentAgreement,
} from "@concord/crowd";
import type { Split } from "@concord/db";
import { FLAG_RULES } from "../annotators/flags";
import { db } from "../db";
import { iso, query } from "../sql";
import { looConfusion, median } from "./agreement-math";

export type TSplitFilter = Split | "ALL";

export type TClassRow = {
  label: string;
  kappa: number | null;
  specificAgreement: number | null;
  meanItemAgreement: number | null;
  support: number;
};

export type TAnnotatorRow = {
  annotatorId: string;
  name: string;
  email: string;
  votes: number;
  // Agreement with the plurality of the other votes on the same images (leave-one-out; ties give 1/k).
  agreement: number | null;
  comparable: number;
  goldAnswered: number;
  goldAccuracy: number | null;
  medianMs: number | null;
  // Votes with a duration, and those faster than FLAG_RULES.fastMs (too fast to have looked).
  timedVotes: number;
  fastVotes: number;
};

export type TAgreement = {
  datasetId: string;
  split: TSplitFilter;
  labels: string[];
  items: number;
  itemsWithTwoVotes: number;
  identifiedVotes: number;
  tallyVotes: number;
  fleissKappa: number | null;
  krippendorffAlpha: number | null;
  percentAgreement: number | null;
  perClass: TClassRow[];
  annotators: TAnnotatorRow[];
  // annotatorId -> confusion vs the leave-one-out plurality (used when no snapshot exists)
  looConfusion: Record<string, number[][]>;
  computedMs: number;
  cacheKey: string;
};

const finite = (x: number) => (Number.isFinite(x) ? x : null);

// Statistics are recomputed only when the votes change: the key holds the vote count and latest vote time.
const cache = new Map<string, TAgreement>();

// The votes, latest vote time and tallies of a dataset (one split, or $2 = 'ALL'). $1 dataset.
const CACHE_KEY = {
  name: "agreement.cacheKey",
  text: `SELECT (SELECT count(*)::int FROM "Vote" v JOIN "Image" i ON i.id = v."imageId"
              WHERE i."datasetId" = $1 AND ($2::text = 'ALL' OR i.split::text = $2)) AS n,
            (SELECT ${iso(`max(v."createdAt")`)} FROM "Vote" v JOIN "Image" i ON i.id = v."imageId"
              WHERE i."datasetId" = $1 AND ($2::text = 'ALL' OR i.split::text = $2)) AS last,
            (SELECT count(*)::int FROM "ImportedTally" t JOIN "Image" i ON i.id = t."imageId"
              WHERE i."datasetId" = $1 AND ($2::text = 'ALL' OR i.split::text = $2)) AS t`,
};

async function cacheKeyFor(datasetId: string, split: TSplitFilter): Promise<string> {
  const [row] = await query<{ n: number; last: string | null; t: number }>(CACHE_KEY, [datasetId, split]);
  return `${datasetId}:${split}:${row?.n ?? 0}:${row?.last ?? "-"}:${row?.t ?? 0}`;
}

export async function getAgreement(
  datasetId: string,
  split: TSplitFilter = "ALL",
): Promise<TAgreement | null> {
  const dataset = await db().dataset.findUnique({ where: { id: datasetId }, select: { taxonomy: true } });
  if (!dataset) return null;
  const key = await cacheKeyFor(datasetId, split);
  const hit = cache.get(key);
  if (hit) return hit;
  const started = performance.now();
  const labels = dataset.taxonomy;
  const C = labels.length;
  const splitWhere = split === "ALL" ? {} : { split };
  const images = await db().image.findMany({
    where: { datasetId, ...splitWhere },
    select: { id: true, gold: { select: { label: true } } },
    orderBy: { id: "asc" },
  });
  const index = new Map(images.map((im, i) => [im.id, i]));
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const rawVotes = await db().vote.findMany({
    where: { image: { datasetId, ...splitWhere } },
    select: { imageId: true, annotatorId: true, label: true, durationMs: true },
  });
  const workers = [...new Set(rawVotes.map((v) => v.annotatorId))];
  const workerIndex = new Map(workers.map((w, i) => [w, i]));
  const durations: number[][] = workers.map(() => []);
  const votes = rawVotes.flatMap((v) => {
    const item = index.get(v.imageId);
    const label = labelIndex.get(v.label);
    const worker = workerIndex.get(v.annotatorId)!;
    if (v.durationMs !== null && v.durationMs > 0) durations[worker]!.push(v.durationMs);
    return item === undefined || label === undefined ? [] : [{ item, worker, label }];
  });
  const rawTallies = await db().importedTally.findMany({
    where: { image: { datasetId, ...splitWhere } },
    select: { imageId: true, counts: true },
  });
  const tallies = rawTallies.flatMap((t) => {
    const item = index.get(t.imageId);
    return item === undefined || t.counts.length !== C ? [] : [{ item, counts: t.counts }];
  });
  const set = buildVoteSet({
    numClasses: C,
    numItems: images.length,
    numWorkers: workers.length,
    votes,
    tallies,
  });
  const counts = itemCounts(set);
  const gold = new Int32Array(images.length).fill(-1);
  images.forEach((im, i) => {
    const g = im.gold ? labelIndex.get(im.gold.label) : undefined;
    if (g !== undefined) gold[i] = g;
  });

  let itemsWithTwoVotes = 0;
  let tallyVotes = 0;
  for (let i = 0; i < images.length; i++) {
    let n = 0;
    for (let c = 0; c < C; c++) n += counts[i * C + c]!;
    if (n >= 2) itemsWithTwoVotes++;
  }
  for (const t of tallies) for (const x of t.counts) tallyVotes += x;

  const hasPairs = itemsWithTwoVotes > 0 && C >= 2;
  const fk = hasPairs ? fleissKappa(counts, C) : null;
  const ka = hasPairs ? krippendorffAlpha(counts, C) : null;
  const pc = hasPairs ? perClassAgreement(counts, C) : [];
  const users = await db().user.findMany({
    where: { id: { in: workers } },
    select: { id: true, name: true, email: true },
  });
  const userBy = new Map(users.map((u) => [u.id, u]));
  const result: TAgreement = {
    datasetId,
    split,
    labels,
    items: images.length,
    itemsWithTwoVotes,
    identifiedVotes: votes.length,
    tallyVotes,
    fleissKappa: fk ? finite(fk.kappa) : null,
    krippendorffAlpha: ka ? finite(ka.alpha) : null,
    percentAgreement: hasPairs ? finite(percentAgreement(counts, C)) : null,
    perClass: labels.map((label, c) => {
      const row = pc[c];
      return {
        label,
        kappa: row ? finite(row.kappa) : null,
        specificAgreement: row ? finite(row.specificAgreement) : null,
        meanItemAgreement: row ? finite(row.meanItemAgreement) : null,
        support: row?.support ?? 0,
      };
    }),
    annotators: annotatorStats(set, { gold })
      .map((a) => {
        const id = workers[a.worker]!;
        return {
          annotatorId: id,
          name: userBy.get(id)?.name ?? "?",
          email: userBy.get(id)?.email ?? "",
          votes: a.votes,
          agreement: finite(a.looAccuracy),
          comparable: a.looVotes,
          goldAnswered: a.goldVotes,
          goldAccuracy: finite(a.goldAccuracy),
          medianMs: median(durations[a.worker]!),
          timedVotes: durations[a.worker]!.length,
          fastVotes: durations[a.worker]!.filter((d) => d < FLAG_RULES.fastMs).length,
        };
      })
      .sort((a, b) => b.votes - a.votes),
    looConfusion: Object.fromEntries(
      looConfusion(
        { item: set.voteItem, worker: set.voteWorker, label: set.voteLabel },
        counts,
        C,
        workers.length,
      ).map((m, w) => [workers[w]!, m]),
    ),
    computedMs: performance.now() - started,
    cacheKey: key,
  };
  if (cache.size > 50) cache.clear();
  cache.set(key, result);
  return result;
}

export type TAnnotatorConfusion = {
  // Whose consensus the rows are: the latest snapshot (a Dawid-Skene one when there is one).
  snapshot: { id: string; method: string; createdAt: string } | null;
  labels: string[];
  // "ds": the snapshot job's Dawid-Skene estimates (stats.workerConfusion, rows sum to 1);
  // "counts": votes counted against the snapshot's consensus.
  kind: "ds" | "counts" | "loo";
  // annotatorId -> [consensus or true class][annotator's label]
  matrices: Record<string, number[][]>;
  // annotatorId -> votes counted against the same rows (the snapshot's consensus, or the leave-one-out
  // plurality): shown beside the Dawid-Skene probabilities so a 1.00 on two votes reads as two votes.
  counts: Record<string, number[][]>;
};

function isMatrix(x: unknown, c: number): x is number[][] {
  return (
    Array.isArray(x) &&
    x.length === c &&
    x.every((r) => Array.isArray(r) && r.length === c && r.every((v) => typeof v === "number"))
  );
}

// Each annotator's votes counted against a snapshot's consensus label. $1 snapshot, $2 annotator ids,
// $3 split or NULL for all.
const VOTES_VS_CONSENSUS = {
  name: "agreement.votesVsConsensus",
  text: `SELECT v."annotatorId", s.label AS consensus, v.label, count(*)::int AS n
       FROM "Vote" v
       JOIN "SoftLabel" s ON s."imageId" = v."imageId" AND s."snapshotId" = $1
       JOIN "Image" i ON i.id = v."imageId"
      WHERE s.label IS NOT NULL AND v."annotatorId" = ANY($2::text[])
        AND ($3::text IS NULL OR i.split::text = $3)
      GROUP BY 1, 2, 3`,
};

// Per-annotator confusion against a snapshot's consensus. Counting only: the EM that produced the consensus
// ran in the snapshot job. With a "ds" snapshot the row-normalised matrix is the empirical counterpart of the
// Dawid-Skene confusion matrix of that annotator.
export async function getAnnotatorConfusions(
  datasetId: string,
  split: TSplitFilter,
  annotatorIds: string[],
): Promise<TAnnotatorConfusion> {
  const dataset = await db().dataset.findUnique({ where: { id: datasetId }, select: { taxonomy: true } });
  const labels = dataset?.taxonomy ?? [];
  const snap =
    (await db().labelSnapshot.findFirst({
      where: { datasetId, method: "ds" },
      orderBy: { createdAt: "desc" },
    })) ?? (await db().labelSnapshot.findFirst({ where: { datasetId }, orderBy: { createdAt: "desc" } }));
  if (!snap) {
    // No snapshot yet: each vote against the plurality of the other votes on its image.
    const a = await getAgreement(datasetId, split);
    const matrices: Record<string, number[][]> = {};
    for (const id of annotatorIds) if (a?.looConfusion[id]) matrices[id] = a.looConfusion[id]!;
    return { snapshot: null, labels, kind: "loo", matrices, counts: matrices };
  }
  const snapshot = { id: snap.id, method: snap.method, createdAt: snap.createdAt.toISOString() };
  const rows = await query<{ annotatorId: string; consensus: string; label: string; n: number }>(
    VOTES_VS_CONSENSUS,
    [snap.id, annotatorIds, split === "ALL" ? null : split],
  );
  const index = new Map(labels.map((l, i) => [l, i]));
  const counts: Record<string, number[][]> = {};
  for (const r of rows) {
    const t = index.get(r.consensus);
    const p = index.get(r.label);
    if (t === undefined || p === undefined) continue;
    counts[r.annotatorId] ??= labels.map(() => labels.map(() => 0));
    counts[r.annotatorId]![t]![p]! += r.n;
  }
  // Prefer the EM's own per-annotator confusion when the snapshot job stored it (no EM in the request).
  const stored = (snap.stats as { workerConfusion?: Record<string, unknown> } | null)?.workerConfusion;
  if (stored && typeof stored === "object") {
    const matrices: Record<string, number[][]> = {};
    for (const id of annotatorIds)
      if (isMatrix(stored[id], labels.length)) matrices[id] = stored[id] as number[][];
    if (Object.keys(matrices).length > 0) return { snapshot, labels, kind: "ds", matrices, counts };
  }
  return { snapshot, labels, kind: "counts", matrices: counts, counts };
}

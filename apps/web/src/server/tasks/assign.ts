import "server-only";
import type { Prisma } from "@concord/db";
import { db } from "../db";
import { getEnv } from "../env";
import { overlapRule } from "./overlap";
import { grayPngDataUrl } from "./png";

export type TTask = {
  imageId: string;
  datasetId: string;
  datasetName: string;
  taxonomy: string[];
  image: string; // PNG data URL: the prefetched task carries its face, no second round trip
  leaseExpiresAt: string;
};

type TDatasetPolicy = {
  id: string;
  name: string;
  taxonomy: string[];
  minVotes: number;
  maxVotes: number;
  targetConfidence: number;
  goldRate: number;
};

// Images that still need votes, started ones first (most votes first), then new ones in import (id) order.
// An image below minVotes may be leased to as many annotators as it still needs mandatory votes; past
// minVotes every vote may be the last one needed, so it is leased to one annotator at a time.
// Two queries: started images come from the vote table (small), new ones from walking the primary key
// until the first unvoted image (no full scan + sort of a 30k-image dataset: ~500 ms -> a few ms).
// Both pickers run inside the assignment transaction, on its connection: querying through the pool instead
// would need a second connection per request while the first one holds the lock, and under load every pool
// connection ends up held by a transaction that waits for one more (a deadlock until the transaction times out).
type TQuery = Pick<Prisma.TransactionClient, "$queryRaw">;

async function pickOpenImage(
  q: TQuery,
  dataset: TDatasetPolicy,
  annotatorId: string,
): Promise<string | null> {
  const rule = overlapRule({
    classes: dataset.taxonomy.length,
    minVotes: dataset.minVotes,
    maxVotes: dataset.maxVotes,
    targetConfidence: dataset.targetConfidence,
  });
  // Active leases, once per query (a small table): correlated per-image lease counts made Postgres evaluate
  // them for every image of the dataset before sorting.
  const started = await q.$queryRaw<{ id: string }[]>`
    WITH leases AS (
      SELECT "imageId", count(*) FILTER (WHERE "annotatorId" <> ${annotatorId})::int AS others,
             bool_or("annotatorId" = ${annotatorId}) AS mine
      FROM "TaskLease" WHERE "expiresAt" > (now() AT TIME ZONE 'UTC') GROUP BY 1
    ), counts AS (
      SELECT v."imageId", v.label, count(*)::int AS c
      FROM "Vote" v JOIN "Image" i ON i.id = v."imageId"
      WHERE i."datasetId" = ${dataset.id} AND NOT v."isGold"
      GROUP BY 1, 2
    ), sig AS (
      SELECT "imageId", sum(c)::int AS n, string_agg(c::text, ',' ORDER BY c DESC) AS s
      FROM counts GROUP BY 1
    )
    SELECT sig."imageId" AS id
    FROM sig LEFT JOIN leases l ON l."imageId" = sig."imageId"
    WHERE sig.n < ${dataset.maxVotes}
      AND NOT (sig.s = ANY(${rule.doneSignatures}::text[]))
      AND NOT coalesce(l.mine, false)
      AND coalesce(l.others, 0) < greatest(1, ${dataset.minVotes} - sig.n)
      AND NOT EXISTS (SELECT 1 FROM "GoldLabel" g WHERE g."imageId" = sig."imageId")
      AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = sig."imageId" AND v."annotatorId" = ${annotatorId})
    ORDER BY sig.n DESC, sig."imageId"
    LIMIT 1`;
  if (started[0]) return started[0].id;
  const fresh = await q.$queryRaw<{ id: string }[]>`
    WITH busy AS (
      SELECT "imageId" FROM "TaskLease" WHERE "expiresAt" > (now() AT TIME ZONE 'UTC')
      GROUP BY 1
      HAVING bool_or("annotatorId" = ${annotatorId})
          OR count(*) >= greatest(1, ${dataset.minVotes})
    )
    SELECT i.id
    FROM "Image" i
    WHERE i."datasetId" = ${dataset.id}
      AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = i.id AND NOT v."isGold")
      AND NOT EXISTS (SELECT 1 FROM "GoldLabel" g WHERE g."imageId" = i.id)
      AND NOT EXISTS (SELECT 1 FROM busy b WHERE b."imageId" = i.id)
    ORDER BY i.id
    LIMIT 1`;
  return fresh[0]?.id ?? null;
}

async function pickGoldImage(q: TQuery, datasetId: string, annotatorId: string): Promise<string | null> {
  const rows = await q.$queryRaw<{ id: string }[]>`
    SELECT i.id FROM "Image" i JOIN "GoldLabel" g ON g."imageId" = i.id
    WHERE i."datasetId" = ${datasetId}
      AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = i.id AND v."annotatorId" = ${annotatorId})
      AND NOT EXISTS (SELECT 1 FROM "TaskLease" l WHERE l."imageId" = i.id AND l."annotatorId" = ${annotatorId}
                      AND l."expiresAt" > (now() AT TIME ZONE 'UTC'))
    ORDER BY random() LIMIT 1`;
  return rows[0]?.id ?? null;
}

export async function findNextTask(
  annotatorId: string,
  options: { datasetId?: string; random?: () => number } = {},
): Promise<TTask | null> {
  const random = options.random ?? Math.random;
  const datasets = await db().dataset.findMany({
    where: options.datasetId ? { id: options.datasetId } : {},
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      name: true,
      taxonomy: true,
      minVotes: true,
      maxVotes: true,
      targetConfidence: true,
      goldRate: true,
    },
  });
  const leaseMs = getEnv().CONCORD_LEASE_SECONDS * 1000;
  for (const dataset of datasets) {
    // Serialise assignment per dataset so two annotators cannot both take the last open lease.
    const picked = await db().$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`concord:assign:${dataset.id}`}))`;
        const wantsGold = random() < dataset.goldRate;
        const imageId =
          (wantsGold ? await pickGoldImage(tx, dataset.id, annotatorId) : null) ??
          (await pickOpenImage(tx, dataset, annotatorId)) ??
          // Nothing left to vote on: gold answers still measure the annotator.
          (wantsGold ? null : await pickGoldImage(tx, dataset.id, annotatorId));
        if (!imageId) return null;
        const expiresAt = new Date(Date.now() + leaseMs);
        await tx.taskLease.upsert({
          where: { imageId_annotatorId: { imageId, annotatorId } },
          create: { imageId, annotatorId, expiresAt },
          update: { expiresAt },
        });
        return { imageId, expiresAt };
        // Requests queue on the per-dataset lock: wait for a connection and the lock longer than Prisma's 2 s / 5 s
        // defaults; past that the caller gets a 503 (P2024 / P2028) and retries.
      },
      { maxWait: 10_000, timeout: 15_000 },
    );
    if (!picked) continue;
    const image = await db().image.findUniqueOrThrow({
      where: { id: picked.imageId },
      select: { pixels: true, width: true, height: true },
    });
    return {
      imageId: picked.imageId,
      datasetId: dataset.id,
      datasetName: dataset.name,
      taxonomy: dataset.taxonomy,
      image: grayPngDataUrl(image.pixels, image.width, image.height),
      leaseExpiresAt: picked.expiresAt.toISOString(),
    };
  }
  return null;
}

// Housekeeping: expired leases mean nothing; drop them now and then so the table stays small.
export async function pruneExpiredLeases(): Promise<number> {
  return db()
    .$executeRaw`DELETE FROM "TaskLease" WHERE "expiresAt" < (now() AT TIME ZONE 'UTC') - interval '5 minutes'`;
}

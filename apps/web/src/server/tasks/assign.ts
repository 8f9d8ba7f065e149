import "server-only";
import type pg from "pg";
import { exampleGold, qualificationSeen } from "../checks/gold-pool";
import { qualificationTask } from "../checks/qualification";
import { getEnv } from "../env";
import { pool, query, transaction } from "../sql";
import { leaseReturningFace, NOW, type TLeased, type TTask, taskOf } from "./lease";
import {
  isStoppingInSync,
  STOPPING_COLUMNS,
  syncModelStopping,
  type TDatasetStopping,
} from "./model-stopping";
import { overlapRule } from "./overlap";

export type { TTask } from "./lease";

type TDatasetPolicy = TDatasetStopping & {
  name: string;
  taxonomy: string[];
  goldRate: number;
  doneSignatures: string[] | null;
  guideExamples: number;
  qualificationSize: number;
};

// Images that still need votes, started ones first (most votes first), then new ones in import (id) order.
// An image below minVotes may be leased to as many annotators as it still needs mandatory votes; past
// minVotes every vote may be the last one needed, so it is leased to one annotator at a time.
//
// An image whose vote target review raised ("ask for N more votes", ImageTally.target) comes before all of
// these until it reaches the target, and takes as many annotators at once as votes it still needs.
//
// Cost: "ImageTally" (kept exact by triggers on Vote, see migration 20261124200000_image_tally) carries each
// image's vote count and a "done" flag (maxVotes reached, or a signature the dynamic-overlap rule calls done,
// or the model-prior verdict: tasks/model-stopping.ts), and its partial index "ImageTally_open_idx" lists a
// dataset's open images in exactly this order. Picking
// reads that index from its start and stops at the first image the annotator may take: it passes only the
// images currently leased to capacity or already voted on by this annotator (a few per concurrent
// annotator), never the dataset's votes nor its finished images. The rule's signatures live in
// "Dataset"."doneSignatures", rewritten here when the policy's rule differs (syncOverlapRule).
//
// Concurrency: no lock per dataset. A picker locks the image row it chose (FOR NO KEY UPDATE SKIP LOCKED:
// an image another request is leasing right now is skipped, not waited for; votes and leases only take
// KEY SHARE locks on it, which this does not block), then a second statement, whose snapshot sees every
// lease and vote (with its tally) committed before the lock was granted, re-checks the image's capacity
// against the rule and writes the lease. Two annotators can therefore never both take the last open lease,
// and assignments for different images run in parallel. Everything runs on the transaction's one connection
// (see the pool-deadlock regression test).

// The annotator ($2 in every statement below) has neither voted on the image nor holds a live lease on it.
const notVotedOrHeldBy2 = (
  image: string,
) => `NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = ${image} AND v."annotatorId" = $2)
  AND NOT EXISTS (SELECT 1 FROM "TaskLease" l WHERE l."imageId" = ${image} AND l."annotatorId" = $2
                  AND l."expiresAt" > ${NOW})`;

// Votes an image must still get before the rule may stop it (minVotes, or a target raised by review): that
// many annotators may hold it at once; past it, one at a time. $min minVotes, t the tally row.
const mandatory = (min: string, t: string) =>
  `greatest(1, greatest(${min}, coalesce(${t}.target, 0)) - ${t}.votes)`;

// $1 dataset, $2 annotator, $3 minVotes, $4 image ids to skip. The ORDER BY is the open-images index's
// (raised targets not yet reached first; see migration 20261130200000_review_queue).
export const PICK_OPEN_SQL = `
SELECT i.id
FROM "ImageTally" t JOIN "Image" i ON i.id = t."imageId"
WHERE t."datasetId" = $1 AND NOT t.done AND NOT t.gold
  AND t."imageId" <> ALL($4::text[])
  AND ${notVotedOrHeldBy2(`t."imageId"`)}
  AND (SELECT count(*) FROM "TaskLease" l WHERE l."imageId" = t."imageId"
       AND l."expiresAt" > ${NOW}) < ${mandatory("$3", "t")}
ORDER BY (coalesce(t.target, 0) > t.votes) DESC, t.votes DESC, t."imageId"
LIMIT 1
FOR NO KEY UPDATE OF i SKIP LOCKED`;
const PICK_OPEN = { name: "assign.pickOpen", text: PICK_OPEN_SQL };

// Under the image's row lock, with a fresh snapshot: the same capacity rule for this one image, checked
// against the policy's rule itself (not only the cached "done" flag: concord_image_done with the signatures
// this request computed, the raised target and the model verdict), and the lease if it still holds.
// Returns the face with the lease. $1 image, $2 annotator, $3 maxVotes, $4 done signatures, $5 minVotes,
// $6 lease seconds.
const LEASE_IF_OPEN = {
  name: "assign.leaseIfOpen",
  text: `
WITH s AS (
  SELECT votes, target, concord_image_done(votes, counts, target, "modelDone", $3, $4::text[]) AS done
  FROM "ImageTally" WHERE "imageId" = $1
), l AS (
  SELECT count(*) FILTER (WHERE "annotatorId" <> $2)::int AS others,
         coalesce(bool_or("annotatorId" = $2), false) AS mine
  FROM "TaskLease" WHERE "imageId" = $1 AND "expiresAt" > ${NOW}
), ${leaseReturningFace(`SELECT $1, $2, ${NOW} + make_interval(secs => $6)
  FROM s, l
  WHERE NOT s.done
    AND NOT l.mine
    AND l.others < ${mandatory("$5", "s")}
    AND NOT EXISTS (SELECT 1 FROM "GoldLabel" g WHERE g."imageId" = $1)
    AND NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = $1 AND v."annotatorId" = $2)`)}`,
};

// A gold image of the dataset the annotator has not answered and does not hold, at random, leased in the
// same statement (gold images have no capacity: everyone answers them). Guideline examples and faces the
// annotator met in a qualification round are not checks: their answers were shown. $1 dataset,
// $2 annotator, $3 lease seconds, $4 guideline examples per label.
const LEASE_GOLD = {
  name: "assign.leaseGold",
  text: `
WITH pick AS (
  SELECT i.id FROM "Image" i JOIN "GoldLabel" g ON g."imageId" = i.id
  WHERE i."datasetId" = $1 AND ${notVotedOrHeldBy2("i.id")}
    AND i.id NOT IN (${exampleGold("$1", "$4")})
    AND i.id NOT IN (${qualificationSeen("$2")})
  ORDER BY random() LIMIT 1
), ${leaseReturningFace(`SELECT id, $2, ${NOW} + make_interval(secs => $3) FROM pick`)}`,
};

const DATASETS = {
  name: "assign.datasets",
  text: `SELECT d.id, d.name, d.taxonomy, d."minVotes", d."maxVotes", d."targetConfidence", d."goldRate",
                d."doneSignatures", d."guideExamples", d."qualificationSize", ${STOPPING_COLUMNS}
         FROM "Dataset" d WHERE ($1::text IS NULL OR d.id = $1) ORDER BY d."createdAt"`,
};

// The trigger on "Dataset" recomputes "ImageTally".done for the dataset when this changes the signatures.
// Concurrent requests seeing the same stale cache: the first rewrites it, the others' updates match nothing.
const SYNC_RULE = {
  name: "assign.syncRule",
  text: `UPDATE "Dataset" SET "doneSignatures" = $2::text[]
         WHERE id = $1 AND "doneSignatures" IS DISTINCT FROM $2::text[]`,
};

// The same pickers waiting for a locked image instead of skipping it: used only when every candidate was
// locked by a concurrent request (the last open images), so that "nothing to do" is never a false answer.
const waiting = (statement: { name: string; text: string }) => ({
  name: `${statement.name}.wait`,
  text: statement.text.replace("SKIP LOCKED", ""),
});
const PICK_OPEN_WAIT = waiting(PICK_OPEN);

// A lost race at the re-check (the image filled up between the pick and the lock) moves on to the next
// candidate, in a new transaction (holding a failed candidate's lock while waiting for another image could
// deadlock against a request doing the reverse). With 100 annotators converging on the same few started
// images, 8 attempts were once all lost (1 "no task" in 4,413 in the flow bench); past this many the request
// answers "nothing for now".
const MAX_PICKS = 32;

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

// Keeps "Dataset"."doneSignatures" equal to the rule the web computes for the dataset's policy (new dataset,
// changed policy, changed @concord/crowd): the "done" flags the picker's index relies on follow from it.
async function syncOverlapRule(dataset: TDatasetPolicy, doneSignatures: string[]) {
  if (dataset.doneSignatures && sameList(dataset.doneSignatures, doneSignatures)) return;
  await query(SYNC_RULE, [dataset.id, doneSignatures]);
  dataset.doneSignatures = doneSignatures;
}

async function leaseOpenImage(
  dataset: TDatasetPolicy,
  annotatorId: string,
  leaseSeconds: number,
): Promise<TLeased | null> {
  const rule = overlapRule({
    classes: dataset.taxonomy.length,
    minVotes: dataset.minVotes,
    maxVotes: dataset.maxVotes,
    targetConfidence: dataset.targetConfidence,
  });
  await syncOverlapRule(dataset, rule.doneSignatures);
  // Model-prior verdicts out of date (setting, new predictions, policy): recomputed in the background; this
  // pick uses the cached flags, as every pick does.
  if (!isStoppingInSync(dataset))
    void syncModelStopping(dataset.id).catch((error: unknown) =>
      console.error("[web] model-stopping sync failed", error),
    );
  const skip: string[] = [];
  const pick = async (client: pg.PoolClient, wait: boolean) => {
    const rows = await query<{ id: string }>(
      wait ? PICK_OPEN_WAIT : PICK_OPEN,
      [dataset.id, annotatorId, dataset.minVotes, skip],
      client,
    );
    return rows[0]?.id;
  };
  for (let attempt = 0; attempt < MAX_PICKS; attempt++) {
    const outcome = await transaction(async (client) => {
      const imageId = (await pick(client, false)) ?? (await pick(client, true));
      if (!imageId) return "none" as const;
      const [leased] = await query<TLeased>(
        LEASE_IF_OPEN,
        [imageId, annotatorId, dataset.maxVotes, rule.doneSignatures, dataset.minVotes, leaseSeconds],
        client,
      );
      return leased ?? imageId;
    });
    if (outcome === "none") return null;
    if (typeof outcome !== "string") return outcome;
    skip.push(outcome);
  }
  return null;
}

async function leaseGoldImage(
  dataset: TDatasetPolicy,
  annotatorId: string,
  leaseSeconds: number,
): Promise<TLeased | null> {
  return (
    (await query<TLeased>(LEASE_GOLD, [dataset.id, annotatorId, leaseSeconds, dataset.guideExamples]))[0] ??
    null
  );
}

export async function findNextTask(
  annotatorId: string,
  options: { datasetId?: string; random?: () => number } = {},
): Promise<TTask | null> {
  const random = options.random ?? Math.random;
  const datasets = await query<TDatasetPolicy>(DATASETS, [options.datasetId ?? null]);
  const leaseSeconds = getEnv().CONCORD_LEASE_SECONDS;
  for (const dataset of datasets) {
    // A dataset with a qualification round serves only its round's check faces until the annotator passes.
    if (dataset.qualificationSize > 0) {
      const round = await qualificationTask(dataset, annotatorId, leaseSeconds);
      if (round !== "qualified") {
        if (round) return round;
        continue;
      }
    }
    const wantsGold = random() < dataset.goldRate;
    const leased =
      (wantsGold ? await leaseGoldImage(dataset, annotatorId, leaseSeconds) : null) ??
      (await leaseOpenImage(dataset, annotatorId, leaseSeconds)) ??
      // Nothing left to vote on: gold answers still measure the annotator.
      (wantsGold ? null : await leaseGoldImage(dataset, annotatorId, leaseSeconds));
    if (!leased) continue;
    return taskOf(leased, dataset);
  }
  return null;
}

const PRUNE = {
  name: "assign.prune",
  text: `DELETE FROM "TaskLease" WHERE "expiresAt" < ${NOW} - interval '5 minutes'`,
};

// Housekeeping: expired leases mean nothing; drop them now and then so the table stays small.
export async function pruneExpiredLeases(): Promise<number> {
  const res = await pool().query(PRUNE);
  return res.rowCount ?? 0;
}

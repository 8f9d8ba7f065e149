import "server-only";
import { exampleGold, qualificationSeen } from "../checks/gold-pool";
import { qualificationTask } from "../checks/qualification";
import { getEnv } from "../env";
import { pool, query } from "../sql";
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
// Cost: "ImageTally" (kept exact by triggers on Vote and TaskLease, see migrations 20261124200000_image_tally
// and 20261130400000_lease_open_function) carries each image's vote count, a "done" flag (maxVotes reached,
// or a signature the dynamic-overlap rule calls done, or the model-prior verdict: tasks/model-stopping.ts) and
// a "full" flag (its lease rows fill its capacity), and its partial index "ImageTally_open_idx" lists a
// dataset's open images with a free lease slot in exactly this order. Picking reads that index from its start
// and stops at the first image the annotator may take: it passes only images this annotator voted on or
// holds, never the dataset's votes, its finished images nor the images leased out to the other people
// labelling (a pick costs the same with 10 or 2,000 of them). The rule's signatures live in
// "Dataset"."doneSignatures", rewritten here when the policy's rule differs (syncOverlapRule).
//
// Concurrency: no lock per dataset. Picking and leasing is one call of concord_lease_open (migrations
// 20261130400000_lease_open_function, 20261130520000_vote_next_one_transaction), one round trip and one short
// transaction: it locks the tally row of the image it chose (FOR NO KEY UPDATE SKIP LOCKED: an image another
// request is voting on or leasing right now is skipped, not waited for), then a second statement, whose
// snapshot sees every lease and vote committed before the lock was granted (each of them updated that row),
// re-checks the image's capacity against the rule and writes the lease. Two annotators can therefore never
// both take the last open lease, and assignments for different images run in parallel. After a vote, the same
// pick runs in the vote's own transaction (concord_vote, never waiting: see migration 20261130520000 for why
// that cannot deadlock).

// The annotator ($2 in every statement below) has neither voted on the image nor holds a live lease on it.
const notVotedOrHeldBy2 = (
  image: string,
) => `NOT EXISTS (SELECT 1 FROM "Vote" v WHERE v."imageId" = ${image} AND v."annotatorId" = $2)
  AND NOT EXISTS (SELECT 1 FROM "TaskLease" l WHERE l."imageId" = ${image} AND l."annotatorId" = $2
                  AND l."expiresAt" > ${NOW})`;

// $1 dataset, $2 annotator, $3 minVotes, $4 maxVotes, $5 done signatures, $6 lease seconds, $7 image ids to
// skip. No row: nothing open; else the leased face, or `lost` with the image that filled up meanwhile. The
// capacity (greatest(1, greatest(minVotes, target) - votes) annotators at once: the votes an image must still
// get before the rule may stop it, minVotes or a target raised by review; past it one at a time), the order
// (raised targets not yet reached first) and the re-check (concord_image_done with the signatures this request
// computed, the raised target and the model verdict) are the function's.
const LEASE_OPEN = {
  name: "assign.leaseOpen",
  text: `SELECT "imageId", "expiresAt", pixels, width, height, lost
         FROM concord_lease_open($1, $2, $3, $4, $5::text[], $6, $7::text[])`,
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

// A TDatasetPolicy, from "Dataset" d.
export const POLICY_COLUMNS = `d.id, d.name, d.taxonomy, d."minVotes", d."maxVotes", d."targetConfidence", d."goldRate",
  d."doneSignatures", d."guideExamples", d."qualificationSize", ${STOPPING_COLUMNS}`;

const DATASETS = {
  name: "assign.datasets",
  text: `SELECT ${POLICY_COLUMNS} FROM "Dataset" d WHERE ($1::text IS NULL OR d.id = $1) ORDER BY d."createdAt"`,
};

// The next face after a vote, leased in the vote's transaction by concord_vote (migration
// 20261201100000_vote_function, called by the vote statement in tasks/votes.ts): the pick in the first dataset,
// in creation order, that matches, with the dataset's stored overlap rule, unless that dataset has a
// qualification round or the draw says check question; the dataset's policy comes with it (the vote statement
// selects POLICY_COLUMNS) for the web to check the stored rule against.
export type TLeaseNextRow = TDatasetPolicy & {
  imageId: string | null;
  expiresAt: string | null;
  pixels: Buffer | null;
  width: number | null;
  height: number | null;
  failure: string | null;
};

const RELEASE = {
  name: "assign.release",
  text: `DELETE FROM "TaskLease" WHERE "imageId" = $1 AND "annotatorId" = $2`,
};

// The trigger on "Dataset" recomputes "ImageTally".done for the dataset when this changes the signatures.
// Concurrent requests seeing the same stale cache: the first rewrites it, the others' updates match nothing.
const SYNC_RULE = {
  name: "assign.syncRule",
  text: `UPDATE "Dataset" SET "doneSignatures" = $2::text[]
         WHERE id = $1 AND "doneSignatures" IS DISTINCT FROM $2::text[]`,
};

// A lost race at the re-check (the image filled up between the pick and the lock) moves on to the next
// candidate, in a new call and so a new transaction (holding a failed candidate's lock while waiting for
// another image could deadlock against a request doing the reverse). With 100 annotators converging on the same few started
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

// The overlap rule of the dataset's policy, as the web computes it. Model-prior verdicts out of date (setting,
// new predictions, policy) are recomputed in the background; picks use the cached flags, as every pick does.
function ruleOf(dataset: TDatasetPolicy) {
  if (!isStoppingInSync(dataset))
    void syncModelStopping(dataset.id).catch((error: unknown) =>
      console.error("[web] model-stopping sync failed", error),
    );
  return overlapRule({
    classes: dataset.taxonomy.length,
    minVotes: dataset.minVotes,
    maxVotes: dataset.maxVotes,
    targetConfidence: dataset.targetConfidence,
  });
}

async function leaseOpenImage(
  dataset: TDatasetPolicy,
  annotatorId: string,
  leaseSeconds: number,
): Promise<TLeased | null> {
  const rule = ruleOf(dataset);
  await syncOverlapRule(dataset, rule.doneSignatures);
  const skip: string[] = [];
  for (let attempt = 0; attempt < MAX_PICKS; attempt++) {
    const [row] = await query<TLeased & { lost: boolean }>(LEASE_OPEN, [
      dataset.id,
      annotatorId,
      dataset.minVotes,
      dataset.maxVotes,
      rule.doneSignatures,
      leaseSeconds,
      skip,
    ]);
    if (!row) return null;
    if (!row.lost) return row;
    skip.push(row.imageId);
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

// The face concord_vote leased in the vote's transaction as a task, or undefined: no face (the web's own
// pick then runs: findNextTask), or one checked against a stored overlap rule that is not the policy's (a new
// dataset, a changed policy or @concord/crowd), which is handed back after the rule is brought up to date.
export async function taskFromLeaseNext(annotatorId: string, row: TLeaseNextRow): Promise<TTask | undefined> {
  if (row.failure) console.error("[web] the pick in the vote's transaction failed:", row.failure);
  if (!row.imageId || !row.expiresAt || !row.pixels || row.width === null || row.height === null)
    return undefined;
  const rule = ruleOf(row);
  if (!row.doneSignatures || !sameList(row.doneSignatures, rule.doneSignatures)) {
    await syncOverlapRule(row, rule.doneSignatures);
    await query(RELEASE, [row.imageId, annotatorId]);
    return undefined;
  }
  const leased = {
    imageId: row.imageId,
    expiresAt: row.expiresAt,
    pixels: row.pixels,
    width: row.width,
    height: row.height,
  };
  return taskOf(leased, row);
}

const PRUNE = {
  name: "assign.prune",
  text: `DELETE FROM "TaskLease" WHERE "expiresAt" < ${NOW}`,
};

// Expired leases mean nothing, but they count in "ImageTally".leases until deleted and so keep their image
// out of the open-images index: the web drops them every few seconds (next-task.ts).
export async function pruneExpiredLeases(): Promise<number> {
  const res = await pool().query(PRUNE);
  return res.rowCount ?? 0;
}

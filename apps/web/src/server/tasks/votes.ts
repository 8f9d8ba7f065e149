import "server-only";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { judgeChecks, pauseReason, type TCheckStatus } from "@/lib/check-rule";
import { checkRuleOf } from "@/lib/check-settings";
import type { TRole } from "@/lib/roles";
import { accessError } from "../access";
import { answerQualification, type TQualificationResult } from "../checks/qualification";
import { db } from "../db";
import { getEnv } from "../env";
import { fieldError, HttpError } from "../http";
import { batch, iso, query } from "../sql";
import { LEASE_NEXT, type TLeaseNextRow, type TTask } from "./assign";
import { MODEL_STATE_OF_2, refreshModelVerdicts, type TModelState, verdictAfterVote } from "./model-stopping";
import { nextTaskAfterVote } from "./next-task";
import {
  annotatorProgress,
  GOLD_COLUMNS,
  GOLD_VOTES,
  PROGRESS_COLUMNS,
  recentCheckOutcomes,
  type TProgress,
} from "./progress";

export const ZVoteBody = z.object({
  imageId: z.string().trim().min(1, "required").max(64),
  label: z.string().trim().min(1, "required").max(64),
  // Client-chosen idempotency key (a UUID per key press): a retry carries the same one.
  requestId: z
    .string()
    .min(8, "at least 8 characters")
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only"),
  durationMs: z.number().int().min(0).max(3_600_000).optional(),
  // The labelling page asks for its next face in the vote's answer (one request per face instead of two):
  // `{}` for any dataset, `{ datasetId }` for one. The answer then carries `next` (see app/api/votes).
  next: z
    .object({ datasetId: z.string().trim().min(1).max(64).optional() })
    .strict()
    .optional(),
});
export type TVoteBody = z.infer<typeof ZVoteBody>;

// Where the annotator stands on the dataset's check rule after this answer (src/lib/check-rule.ts).
export type TCheckStandingView = {
  answered: number;
  correct: number;
  upper: number;
  toMinimum: number;
  threshold: number;
  status: TCheckStatus;
};

export type TVoteResult = {
  vote: { id: string; imageId: string; label: string; createdAt: string };
  replayed: boolean;
  // A check answer: right or not, the expected label, accuracy over all of the caller's check answers on the
  // dataset, and (for a vote) the standing the pause rule judged.
  gold?: {
    isCorrect: boolean;
    expected: string;
    accuracy: number | null;
    answered: number;
    standing?: TCheckStandingView;
  };
  paused?: { reason: string };
  // An answer of a qualification round (not a vote).
  qualification?: TQualificationResult;
  progress: TProgress;
  // Asked for with `next` (the labelling page): the caller's next task, leased to them (null: nothing for
  // now); left out when this vote paused the caller or the pick failed.
  next?: TTask | null;
};

// Vote ids in cuid's shape ("c" + time + counter + random, 25 characters) as Prisma's @default(cuid())
// made them: sortable by creation within a process, which undo's (createdAt, id) order relies on.
let idCounter = 0;
export function newVoteId(): string {
  idCounter = (idCounter + 1) % 36 ** 4;
  return `c${Date.now().toString(36).padStart(8, "0")}${idCounter.toString(36).padStart(4, "0")}${randomBytes(
    8,
  )
    .readBigUInt64BE()
    .toString(36)
    .padStart(13, "0")
    .slice(0, 12)}`;
}

type TVoteRow = { id: string; imageId: string; label: string; createdAt: string; annotatorId: string };
// The columns of a TVoteRow, read back by requestId (replay) in the vote statement and after a lost race.
const VOTE_COLUMNS = `id, "imageId", label, "annotatorId", ${iso(`"createdAt"`)} AS "createdAt"`;

// One statement, one round trip for the common case: the caller's user row (role, pause), a replay of the
// same requestId, the image with its dataset and gold answer, the insert (skipped on any of those failing,
// for an annotator who has not passed the dataset's qualification round, and ON CONFLICT DO NOTHING against
// a concurrent duplicate), the lease release, the caller's progress and, for gold images, the accuracy on
// this dataset and the latest check answers since the probation start (the pause rule's window). Progress
// and gold figures come from the statement's snapshot, which does not contain the new row: the inserted
// vote is added in JS.
// $1 annotator, $2 image, $3 label, $4 durationMs, $5 requestId, $6 new vote id, $7 roles that may vote
// (NULL: no role/pause gate, for callers that checked already).
const CAST = {
  name: "votes.cast",
  text: `
WITH u AS (
  SELECT role::text AS role, ${iso(`"pausedAt"`)} AS "pausedAt", "pausedReason", "resumedAt" FROM "User" WHERE id = $1
), prev AS (
  SELECT ${VOTE_COLUMNS} FROM "Vote" WHERE "requestId" = $5
), img AS (
  SELECT i.id, i."datasetId", d.name, d.taxonomy, d."goldMinAccuracy", d."goldMinAnswers", d."goldWindow",
    d."goldConfidence", g.label AS gold, d."stoppingSetId" IS NOT NULL AS "modelStopping",
    CASE WHEN d."qualificationSize" > 0 THEN NOT EXISTS (
      SELECT 1 FROM "QualificationAttempt" q WHERE q."userId" = $1 AND q."datasetId" = d.id AND q.passed
    ) ELSE false END AS "mustQualify"
  FROM "Image" i JOIN "Dataset" d ON d.id = i."datasetId" LEFT JOIN "GoldLabel" g ON g."imageId" = i.id
  WHERE i.id = $2
), ins AS (
  INSERT INTO "Vote" (id, "imageId", "annotatorId", label, "durationMs", "requestId", "isGold", "createdAt")
  SELECT $6, img.id, $1, $3, $4, $5, img.gold IS NOT NULL, now() AT TIME ZONE 'UTC'
  FROM img
  WHERE $3 = ANY(img.taxonomy)
    AND NOT img."mustQualify"
    AND NOT EXISTS (SELECT 1 FROM prev)
    AND ($7::text[] IS NULL OR EXISTS (SELECT 1 FROM u WHERE u.role = ANY($7::text[]) AND u."pausedAt" IS NULL))
  ON CONFLICT DO NOTHING
  RETURNING id, ${iso(`"createdAt"`)} AS "createdAt"
), del AS (
  DELETE FROM "TaskLease" WHERE "imageId" = $2 AND "annotatorId" = $1 AND EXISTS (SELECT 1 FROM ins)
)
SELECT
  (SELECT count(*) FROM u)::int AS "userFound", u.role, u."pausedAt", u."pausedReason",
  prev.id AS "prevId", prev."imageId" AS "prevImageId", prev.label AS "prevLabel",
  prev."annotatorId" AS "prevAnnotatorId", prev."createdAt" AS "prevCreatedAt",
  img.id AS "imageFound", $3 = ANY(img.taxonomy) AS "labelOk",
  CASE WHEN NOT $3 = ANY(img.taxonomy) THEN img.taxonomy END AS taxonomy,
  img.gold, img."datasetId", img.name AS "datasetName", img."mustQualify", img."goldMinAccuracy",
  img."goldMinAnswers", img."goldWindow", img."goldConfidence",
  CASE WHEN ins.id IS NOT NULL AND img.gold IS NULL AND img."modelStopping" THEN (
    SELECT row_to_json(m) FROM (${MODEL_STATE_OF_2}) m
  ) END AS "modelState",
  ins.id AS "newId", ins."createdAt" AS "newCreatedAt",
  CASE WHEN ins.id IS NULL THEN EXISTS (SELECT 1 FROM "Vote" WHERE "imageId" = $2 AND "annotatorId" = $1) END
    AS "alreadyVoted",
  p.today, p.total,
  CASE WHEN ins.id IS NOT NULL AND img.gold IS NOT NULL THEN (
    SELECT row_to_json(gs) FROM (
      SELECT ${GOLD_COLUMNS},
        ${recentCheckOutcomes("$1", `img."datasetId"`, `(SELECT "resumedAt" FROM u)`, `img."goldWindow"`)} AS recent
      FROM ${GOLD_VOTES} WHERE v."annotatorId" = $1 AND i."datasetId" = img."datasetId"
    ) gs
  ) END AS "goldSoFar"
FROM (SELECT 1) one
LEFT JOIN u ON true LEFT JOIN prev ON true LEFT JOIN img ON true LEFT JOIN ins ON true
CROSS JOIN (SELECT ${PROGRESS_COLUMNS} FROM "Vote" WHERE "annotatorId" = $1) p`,
};

type TCastRow = {
  userFound: number;
  role: TRole | null;
  pausedAt: string | null;
  pausedReason: string | null;
  prevId: string | null;
  prevImageId: string | null;
  prevLabel: string | null;
  prevAnnotatorId: string | null;
  prevCreatedAt: string | null;
  imageFound: string | null;
  labelOk: boolean | null;
  taxonomy: string[] | null;
  gold: string | null;
  datasetId: string | null;
  datasetName: string | null;
  mustQualify: boolean | null;
  goldMinAccuracy: number | null;
  goldMinAnswers: number | null;
  goldWindow: number | null;
  goldConfidence: number | null;
  modelState: TModelState | null;
  newId: string | null;
  newCreatedAt: string | null;
  alreadyVoted: boolean | null;
  today: number;
  total: number;
  goldSoFar: { answered: number; correct: number; recent: boolean[] } | null;
};

const REPLAY = {
  name: "votes.replay",
  text: `SELECT ${VOTE_COLUMNS} FROM "Vote" WHERE "requestId" = $1`,
};

// A paused annotator can vote on nothing: their leases (the next face leased with the vote among them) go too.
const PAUSE = {
  name: "votes.pause",
  text: `WITH released AS (DELETE FROM "TaskLease" WHERE "annotatorId" = $1)
         UPDATE "User" SET "pausedAt" = now() AT TIME ZONE 'UTC', "pausedReason" = $2, "updatedAt" = now() AT TIME ZONE 'UTC' WHERE id = $1`,
};

const view = (vote: Omit<TVoteRow, "annotatorId">) => ({
  id: vote.id,
  imageId: vote.imageId,
  label: vote.label,
  createdAt: vote.createdAt,
});

function replayed(vote: TVoteRow, annotatorId: string, progress: TProgress) {
  if (vote.annotatorId !== annotatorId) throw new HttpError(409, "requestId already used by another request");
  return { vote: view(vote), replayed: true, progress, status: 200 as const };
}

// The vote is committed whatever happens here: a failed recompute leaves the image's next-vote list empty,
// i.e. it asks for more votes (never stops early), and the next vote on it recomputes again.
async function refreshAfterVote(imageId: string) {
  await refreshModelVerdicts([imageId]).catch((error: unknown) =>
    console.error("[web] model-stopping refresh failed", error),
  );
}

type TVoteAnswer = TVoteResult & { status: 200 | 201 };

// Records a vote. With `access`, the caller's row is checked in the same statement (401 gone, 403 wrong
// role, 403 paused) before anything is written. Then: 200 replay of the same requestId (409 if it belongs to
// someone else), 404 unknown image, 400 label outside the taxonomy; on a dataset whose qualification round
// the caller has not passed, an answer of that round instead of a vote (../checks/qualification.ts); 409
// second vote on the image, else 201 (with gold feedback, pausing the annotator when the dataset's check
// rule says so).
//
// With `body.next` (the labelling page) a 2xx answer also carries the caller's next task (TVoteResult.next).
// A new vote and its next face are one round trip and one transaction: the vote statement and the pick
// (LEASE_NEXT) go in one batch, so the lease is committed with the vote, by its synchronous commit. When that
// pick leased nothing (a replay, a qualification round, a check question drawn, a stale overlap rule, nothing
// open) the web's own pick runs after the vote (findNextTask), with the same draw for a check question.
export async function castVote(
  annotatorId: string,
  body: TVoteBody,
  access?: { roles: readonly TRole[] },
): Promise<TVoteAnswer> {
  const id = newVoteId();
  const values = [
    annotatorId,
    body.imageId,
    body.label,
    body.durationMs ?? null,
    body.requestId,
    id,
    access ? [...access.roles] : null,
  ];
  if (!body.next) return recordVote(annotatorId, body, (await query<TCastRow>(CAST, values))[0], access);
  const draw = Math.random();
  const [castRows, leaseRows] = await batch([
    { statement: CAST, values },
    {
      statement: LEASE_NEXT,
      values: [
        annotatorId,
        body.next.datasetId ?? null,
        draw,
        getEnv().CONCORD_LEASE_SECONDS,
        body.requestId,
      ],
    },
  ]);
  const answer = await recordVote(annotatorId, body, castRows?.[0] as TCastRow | undefined, access);
  // Paused by this answer: the pause released every lease of the caller, the one just taken among them.
  if (answer.paused) return answer;
  const leased = leaseRows?.[0] as TLeaseNextRow | undefined;
  return { ...answer, next: await nextTaskAfterVote(annotatorId, body.next.datasetId, { leased, draw }) };
}

async function recordVote(
  annotatorId: string,
  body: TVoteBody,
  row: TCastRow | undefined,
  access?: { roles: readonly TRole[] },
): Promise<TVoteAnswer> {
  if (!row) throw new Error("castVote: the statement returned no row");
  if (access) {
    const denied = accessError(
      row.userFound ? { role: row.role!, pausedAt: row.pausedAt, pausedReason: row.pausedReason } : null,
      access.roles,
      true,
    );
    if (denied) throw denied;
  }
  const progress: TProgress = { today: row.today, total: row.total };
  if (row.prevId) {
    return replayed(
      {
        id: row.prevId,
        imageId: row.prevImageId!,
        label: row.prevLabel!,
        annotatorId: row.prevAnnotatorId!,
        createdAt: row.prevCreatedAt!,
      },
      annotatorId,
      progress,
    );
  }
  if (!row.imageFound) throw new HttpError(404, `Unknown image "${body.imageId}"`);
  if (!row.labelOk) {
    throw fieldError(
      "label",
      `"${body.label}" is not in this dataset's taxonomy (${(row.taxonomy ?? []).join(", ")})`,
    );
  }
  if (row.mustQualify) {
    return answerQualification(
      annotatorId,
      body,
      { datasetId: row.datasetId!, datasetName: row.datasetName!, gold: row.gold },
      progress,
    );
  }
  if (!row.newId) {
    if (row.alreadyVoted) throw new HttpError(409, "You already voted on this image");
    // Lost a race against a concurrent insert (ON CONFLICT waited for it): the same request sent twice
    // (answer with the vote that won), another user's requestId, or a double vote on this image.
    const [raced] = await query<TVoteRow>(REPLAY, [body.requestId]);
    if (raced) return replayed(raced, annotatorId, await annotatorProgress(annotatorId));
    throw new HttpError(409, "You already voted on this image");
  }
  // Model-prior stopping: the trigger applied the image's precomputed verdict; recompute it for the new counts
  // (the statement read what that needs: one more round trip, the write).
  if (row.modelState)
    await verdictAfterVote(body.imageId, body.label, row.modelState).catch((error: unknown) =>
      console.error("[web] model-stopping verdict failed", error),
    );
  const vote = { id: row.newId, imageId: body.imageId, label: body.label, createdAt: row.newCreatedAt! };
  const after: TProgress = { today: progress.today + 1, total: progress.total + 1 };
  if (row.gold === null) return { vote, replayed: false, progress: after, status: 201 };

  const isCorrect = row.gold === body.label;
  const answered = (row.goldSoFar?.answered ?? 0) + 1;
  const correct = (row.goldSoFar?.correct ?? 0) + (isCorrect ? 1 : 0);
  const accuracy = correct / answered;
  const rule = checkRuleOf({
    goldMinAccuracy: row.goldMinAccuracy!,
    goldMinAnswers: row.goldMinAnswers!,
    goldWindow: row.goldWindow!,
    goldConfidence: row.goldConfidence!,
  });
  const judged = judgeChecks([isCorrect, ...(row.goldSoFar?.recent ?? [])], rule);
  const standing: TCheckStandingView = {
    answered: judged.answered,
    correct: judged.correct,
    upper: judged.interval.upper,
    toMinimum: judged.toMinimum,
    threshold: rule.threshold,
    status: judged.status,
  };
  const gold: TVoteResult["gold"] = { isCorrect, expected: row.gold, accuracy, answered, standing };
  let paused: TVoteResult["paused"];
  if (judged.status === "pause") {
    const reason = pauseReason(row.datasetName!, judged, rule);
    await query(PAUSE, [annotatorId, reason]);
    paused = { reason };
  }
  return { vote, replayed: false, gold, paused, progress: after, status: 201 };
}

export async function undoLastVote(annotatorId: string) {
  const last = await db().vote.findFirst({
    where: { annotatorId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { id: true, imageId: true, label: true, isGold: true },
  });
  if (!last) throw new HttpError(404, "You have no vote to undo");
  // Feedback already revealed the expected answer: undoing would let anyone retake check questions.
  if (last.isGold) throw new HttpError(409, "Answers to check questions cannot be undone");
  await db().vote.delete({ where: { id: last.id } });
  await refreshAfterVote(last.imageId);
  return {
    undone: { imageId: last.imageId, label: last.label },
    progress: await annotatorProgress(annotatorId),
  };
}

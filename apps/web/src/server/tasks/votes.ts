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
import { GroupCommit, type TGroupCommitStats } from "../group-commit";
import { fieldError, HttpError } from "../http";
import { batch, iso, query } from "../sql";
import { POLICY_COLUMNS, type TLeaseNextRow, type TTask } from "./assign";
import { refreshModelVerdicts } from "./model-stopping";
import { nextTaskAfterVote } from "./next-task";
import { annotatorProgress, GOLD_COLUMNS, GOLD_VOTES, recentCheckOutcomes, type TProgress } from "./progress";

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

// One statement, one round trip, one transaction for a vote and (with `next`) the caller's next face:
// concord_vote (migration 20261201100000_vote_function) reads the caller's user row (role, pause), a replay of
// the same requestId, the image with its dataset and gold answer, the qualification and the progress, then
// inserts the vote (skipped on any of those failing, for an annotator who has not passed the dataset's
// qualification round, and ON CONFLICT DO NOTHING against a concurrent duplicate), releases the caller's lease
// on the image and, asked to, leases the next face. Each of those is a statement of the function, planned once
// per connection and run only when needed; this statement adds the policy of the leased face's dataset. The
// progress comes from before the insert: the inserted vote is added in JS.
// $1 annotator, $2 image, $3 label, $4 durationMs, $5 requestId, $6 new vote id, $7 roles that may vote
// (NULL: no role/pause gate, for callers that checked already), $8 lease the next face, $9 its dataset
// (NULL: any), $10 the draw in [0, 1) for a check question, $11 lease seconds.
const CAST = {
  name: "votes.cast",
  text: `SELECT f.*, ${POLICY_COLUMNS}
         FROM concord_vote($1, $2, $3, $4, $5, $6, $7::text[], $8, $9, $10, $11) f
         LEFT JOIN "Dataset" d ON d.id = f."nextDatasetId"`,
};

// A check answer's standing after it was committed (the answer among them): the accuracy on the dataset and the
// latest check answers since the probation start (the pause rule's window). $1 annotator, $2 dataset, $3 window.
const GOLD_STANDING = {
  name: "votes.goldStanding",
  text: `SELECT ${GOLD_COLUMNS},
           ${recentCheckOutcomes("$1", "$2", `(SELECT "resumedAt" FROM "User" WHERE id = $1)`, "$3")} AS recent
         FROM ${GOLD_VOTES} WHERE v."annotatorId" = $1 AND i."datasetId" = $2`,
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
  voteTaxonomy: string[] | null;
  gold: string | null;
  voteDatasetId: string | null;
  datasetName: string | null;
  mustQualify: boolean | null;
  goldMinAccuracy: number | null;
  goldMinAnswers: number | null;
  goldWindow: number | null;
  goldConfidence: number | null;
  modelStopping: boolean | null;
  newId: string | null;
  newCreatedAt: string | null;
  alreadyVoted: boolean | null;
  today: number;
  total: number;
  // The face leased with the vote (`next`): its dataset (NULL: no pick ran, see castVote) and its policy.
  nextDatasetId: string | null;
  nextImageId: string | null;
  nextExpiresAt: string | null;
  nextPixels: Buffer | null;
  nextWidth: number | null;
  nextHeight: number | null;
  nextFailure: string | null;
} & Omit<TLeaseNextRow, "imageId" | "expiresAt" | "pixels" | "width" | "height" | "failure">;

// The vote statements of concurrent requests, several per transaction under load (../group-commit.ts). Votes
// in a batch run in image order: two batches at once lock the voted images' tally rows in the same order. The
// faces picked for the next task are locked too (SKIP LOCKED: never waited for), so a batch voting on a face
// another batch has just picked can still wait for it while holding one that batch wants: a lock cycle that
// single-vote transactions could not make (each waits only before it picks). A batch therefore waits for a
// lock at most BATCH_LOCK_TIMEOUT, then fails and its votes run again one by one (GroupCommit's fallback):
// bounded, where Postgres' deadlock check would take deadlock_timeout (1 s) to break the cycle.
const BATCH_LOCK_TIMEOUT = {
  name: "votes.batchLockTimeout",
  text: `SELECT set_config('lock_timeout', '250ms', true)`,
};
let castGroup: GroupCommit<unknown[], TCastRow | undefined> | undefined;
function castGroupOf(): GroupCommit<unknown[], TCastRow | undefined> {
  const env = getEnv();
  castGroup ??= new GroupCommit({
    runOne: async (values) => (await query<TCastRow>(CAST, values))[0],
    runMany: async (many) =>
      (
        await batch([
          { statement: BATCH_LOCK_TIMEOUT, values: [] },
          ...many.map((values) => ({ statement: CAST, values })),
        ])
      )
        .slice(1)
        .map((rows) => rows[0] as TCastRow),
    maxBatch: env.CONCORD_VOTE_BATCH,
    maxInFlight: env.CONCORD_VOTE_BATCH_INFLIGHT,
    order: (a, b) => (String(a[1]) < String(b[1]) ? -1 : String(a[1]) > String(b[1]) ? 1 : 0),
  });
  return castGroup;
}

// How the votes went so far in this process: calls, transactions, failed batches re-run alone, largest batch.
export function voteGroupStats(): TGroupCommitStats {
  return { ...castGroupOf().stats };
}

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
// A new vote and its next face are one statement and one transaction (CAST: concord_vote leases the face after
// inserting the vote), so the lease is committed with the vote, by its synchronous commit. When that pick
// leased nothing (a replay, a qualification round, a check question drawn, a stale overlap rule, nothing open)
// the web's own pick runs after the vote (findNextTask), with the same draw for a check question.
export async function castVote(
  annotatorId: string,
  body: TVoteBody,
  access?: { roles: readonly TRole[] },
): Promise<TVoteAnswer> {
  const draw = Math.random();
  const row = await castGroupOf().run([
    annotatorId,
    body.imageId,
    body.label,
    body.durationMs ?? null,
    body.requestId,
    newVoteId(),
    access ? [...access.roles] : null,
    body.next !== undefined,
    body.next?.datasetId ?? null,
    draw,
    getEnv().CONCORD_LEASE_SECONDS,
  ]);
  const answer = await recordVote(annotatorId, body, row, access);
  if (!body.next) return answer;
  // Paused by this answer: the pause released every lease of the caller, the one just taken among them.
  if (answer.paused) return answer;
  return {
    ...answer,
    next: await nextTaskAfterVote(annotatorId, body.next.datasetId, { leased: leasedWith(row), draw }),
  };
}

// The pick concord_vote made after inserting the vote, in the shape taskFromLeaseNext reads; undefined when no
// pick ran (no vote inserted, no dataset matched).
function leasedWith(row: TCastRow | undefined): TLeaseNextRow | undefined {
  if (!row?.nextDatasetId) return undefined;
  return {
    ...row,
    imageId: row.nextImageId,
    expiresAt: row.nextExpiresAt,
    pixels: row.nextPixels,
    width: row.nextWidth,
    height: row.nextHeight,
    failure: row.nextFailure,
  };
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
      `"${body.label}" is not in this dataset's taxonomy (${(row.voteTaxonomy ?? []).join(", ")})`,
    );
  }
  if (row.mustQualify) {
    return answerQualification(
      annotatorId,
      body,
      { datasetId: row.voteDatasetId!, datasetName: row.datasetName!, gold: row.gold },
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
  // (read after the commit: the tally with this vote, and any vote that came in since).
  if (row.modelStopping && row.gold === null) await refreshAfterVote(body.imageId);
  const vote = { id: row.newId, imageId: body.imageId, label: body.label, createdAt: row.newCreatedAt! };
  const after: TProgress = { today: progress.today + 1, total: progress.total + 1 };
  if (row.gold === null) return { vote, replayed: false, progress: after, status: 201 };

  // The standing read after the commit counts this answer (the newest of the window).
  const isCorrect = row.gold === body.label;
  const [standingRow] = await query<{ answered: number; correct: number; recent: boolean[] }>(GOLD_STANDING, [
    annotatorId,
    row.voteDatasetId,
    row.goldWindow,
  ]);
  const answered = standingRow?.answered ?? 1;
  const correct = standingRow?.correct ?? (isCorrect ? 1 : 0);
  const accuracy = correct / answered;
  const rule = checkRuleOf({
    goldMinAccuracy: row.goldMinAccuracy!,
    goldMinAnswers: row.goldMinAnswers!,
    goldWindow: row.goldWindow!,
    goldConfidence: row.goldConfidence!,
  });
  const judged = judgeChecks(standingRow?.recent ?? [isCorrect], rule);
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

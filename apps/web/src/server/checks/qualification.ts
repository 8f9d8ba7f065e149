import "server-only";
import { randomUUID } from "node:crypto";
import { HttpError } from "../http";
import { iso, query, transaction } from "../sql";
import { leaseReturningFace, NOW, type TLeased, type TTask, taskOf } from "../tasks/lease";
import type { TProgress } from "../tasks/progress";
import type { TVoteBody, TVoteResult } from "../tasks/votes";
import { exampleGold, qualificationSeen } from "./gold-pool";

// The qualification round of a dataset (Dataset.qualificationSize K > 0): until one of their attempts passes,
// an annotator gets only check faces of that dataset, K per attempt, and their answers are stored as
// QualificationAnswer rows, never as votes (so they are in no tally, snapshot or export). The first attempt
// starts with the first task; after a failed one the annotator starts the next (retryQualification) while
// failed attempts stay below Dataset.qualificationAttempts, then an admin must allow another
// (allowAnotherAttempt voids the latest failed attempt; nothing is deleted).

export type TQualificationStatus = "open" | "passed" | "failed";

// What the vote API answers after a qualification answer.
export type TQualificationResult = {
  datasetId: string;
  datasetName: string;
  answered: number;
  correct: number;
  size: number;
  passMark: number;
  status: TQualificationStatus;
  attemptsLeft: number;
  // Who to ask when no attempt is left: the admins, "Name <email>".
  ask: string[];
};

// One dataset's round as the annotator stands in it (pages, the blocked answer of GET /api/tasks/next).
export type TQualificationState = {
  datasetId: string;
  datasetName: string;
  datasetSlug: string;
  size: number;
  passMark: number;
  maxAttempts: number;
  passed: boolean;
  open: { id: string; size: number; answered: number; correct: number; passMark: number } | null;
  last: { size: number; answered: number; correct: number; passed: boolean; finishedAt: string } | null;
  // Failed attempts that count toward the limit (not voided by an admin), and attempts of any kind.
  failed: number;
  attempts: number;
  attemptsLeft: number;
  // Gold faces that can be asked (guideline examples excluded).
  checkFaces: number;
};

const checkFaceCount = (
  dataset: string,
) => `(SELECT count(*)::int FROM "GoldLabel" cg JOIN "Image" ci ON ci.id = cg."imageId"
  WHERE ci."datasetId" = ${dataset} AND cg."imageId" NOT IN (${exampleGold(dataset, `(SELECT "guideExamples" FROM "Dataset" WHERE id = ${dataset})`)}))`;

// $1 user, $2 dataset or NULL (every dataset with a round).
const STATES = {
  name: "qualification.states",
  text: `
SELECT d.id AS "datasetId", d.name AS "datasetName", d.slug AS "datasetSlug", d."qualificationSize" AS size,
  d."qualificationPassMark" AS "passMark", d."qualificationAttempts" AS "maxAttempts",
  coalesce(bool_or(t.passed), false) AS passed,
  count(t.id) FILTER (WHERE t.passed = false AND t."voidedAt" IS NULL)::int AS failed,
  count(t.id)::int AS attempts,
  (SELECT row_to_json(o) FROM (
     SELECT id, size, answered, correct, "passMark" FROM "QualificationAttempt"
     WHERE "userId" = $1 AND "datasetId" = d.id AND "finishedAt" IS NULL) o) AS open,
  (SELECT row_to_json(l) FROM (
     SELECT size, answered, correct, passed, ${iso(`"finishedAt"`)} AS "finishedAt" FROM "QualificationAttempt"
     WHERE "userId" = $1 AND "datasetId" = d.id AND "finishedAt" IS NOT NULL
     ORDER BY "finishedAt" DESC LIMIT 1) l) AS last,
  ${checkFaceCount("d.id")} AS "checkFaces"
FROM "Dataset" d LEFT JOIN "QualificationAttempt" t ON t."datasetId" = d.id AND t."userId" = $1
WHERE d."qualificationSize" > 0 AND ($2::text IS NULL OR d.id = $2)
GROUP BY d.id ORDER BY d."createdAt"`,
};

export async function qualificationStates(
  userId: string,
  datasetId?: string,
): Promise<TQualificationState[]> {
  const rows = await query<Omit<TQualificationState, "attemptsLeft">>(STATES, [userId, datasetId ?? null]);
  return rows.map((r) => ({ ...r, attemptsLeft: Math.max(0, r.maxAttempts - r.failed) }));
}

// Datasets whose round the annotator finished without passing (or cannot take): no task comes from them
// until they retry or an admin allows another attempt.
export async function blockedRounds(userId: string, datasetId?: string): Promise<TQualificationState[]> {
  return (await qualificationStates(userId, datasetId)).filter(
    (s) => !s.passed && !s.open && (s.attempts > 0 || s.checkFaces === 0),
  );
}

// The cheap question asked for every task of a dataset with a round. $1 user, $2 dataset.
const GATE = {
  name: "qualification.gate",
  text: `SELECT EXISTS (SELECT 1 FROM "QualificationAttempt" WHERE "userId" = $1 AND "datasetId" = $2 AND passed) AS passed,
                (SELECT id FROM "QualificationAttempt" WHERE "userId" = $1 AND "datasetId" = $2 AND "finishedAt" IS NULL) AS "openId",
                (SELECT count(*)::int FROM "QualificationAttempt" WHERE "userId" = $1 AND "datasetId" = $2) AS attempts`,
};

// A new attempt with the dataset's settings, if none is open and the dataset has check faces to ask (the
// partial unique index keeps concurrent starts to one). $1 id, $2 user, $3 dataset.
const START = {
  name: "qualification.start",
  text: `
INSERT INTO "QualificationAttempt" (id, "userId", "datasetId", size, "passMark", "startedAt")
SELECT $1, $2, d.id, least(d."qualificationSize", f.n), d."qualificationPassMark", ${NOW}
FROM "Dataset" d CROSS JOIN LATERAL (SELECT ${checkFaceCount("d.id")} AS n) f
WHERE d.id = $3 AND f.n > 0
ON CONFLICT DO NOTHING`,
};

const LOCK_OPEN = {
  name: "qualification.lockOpen",
  text: `SELECT t.id, t.size, t.answered, t.correct, t."passMark", d."qualificationAttempts" AS "maxAttempts",
                d."guideExamples"
         FROM "QualificationAttempt" t JOIN "Dataset" d ON d.id = t."datasetId"
         WHERE t."userId" = $1 AND t."datasetId" = $2 AND t."finishedAt" IS NULL
         FOR UPDATE OF t`,
};
type TOpen = {
  id: string;
  size: number;
  answered: number;
  correct: number;
  passMark: number;
  maxAttempts: number;
  guideExamples: number;
};

// Faces of the dataset's gold the annotator holds (live leases) and has not answered in this attempt: the
// round's faces already handed out. $1 dataset, $2 user, $3 attempt.
const HELD = {
  name: "qualification.held",
  text: `SELECT count(*)::int AS n FROM "TaskLease" l JOIN "GoldLabel" g ON g."imageId" = l."imageId"
         JOIN "Image" i ON i.id = l."imageId"
         WHERE l."annotatorId" = $2 AND i."datasetId" = $1 AND l."expiresAt" > ${NOW}
           AND NOT EXISTS (SELECT 1 FROM "QualificationAnswer" a WHERE a."attemptId" = $3 AND a."imageId" = l."imageId")`,
};

// A gold face of the dataset for this attempt: not a guideline example, not answered in this attempt, not
// held; faces met in earlier attempts last. $1 dataset, $2 user, $3 attempt, $4 examples per label,
// $5 lease seconds.
const LEASE_FACE = {
  name: "qualification.leaseFace",
  text: `
WITH pick AS (
  SELECT i.id FROM "Image" i JOIN "GoldLabel" g ON g."imageId" = i.id
  WHERE i."datasetId" = $1
    AND i.id NOT IN (${exampleGold("$1", "$4")})
    AND NOT EXISTS (SELECT 1 FROM "QualificationAnswer" a WHERE a."attemptId" = $3 AND a."imageId" = i.id)
    AND NOT EXISTS (SELECT 1 FROM "TaskLease" l WHERE l."imageId" = i.id AND l."annotatorId" = $2
                    AND l."expiresAt" > ${NOW})
  ORDER BY i.id IN (${qualificationSeen("$2")}), random()
  LIMIT 1
), ${leaseReturningFace(`SELECT id, $2, ${NOW} + make_interval(secs => $5) FROM pick`)}`,
};

type TDatasetRef = { id: string; name: string; taxonomy: string[] };

// The next face of the annotator's round on this dataset: "qualified" (serve real tasks), a task, or null
// (nothing from this dataset now: the round's faces are all out, or the round was failed).
export async function qualificationTask(
  dataset: TDatasetRef,
  userId: string,
  leaseSeconds: number,
): Promise<TTask | null | "qualified"> {
  const [gate] = await query<{ passed: boolean; openId: string | null; attempts: number }>(GATE, [
    userId,
    dataset.id,
  ]);
  if (gate?.passed) return "qualified";
  if (!gate?.openId) {
    // The first attempt starts by itself; later ones only when the annotator asks (after seeing the result).
    if (gate && gate.attempts > 0) return null;
    await query(START, [randomUUID(), userId, dataset.id]);
  }
  // The attempt's row lock orders concurrent requests (prefetches): each sees the faces the previous handed out.
  return transaction(async (client) => {
    const [open] = await query<TOpen>(LOCK_OPEN, [userId, dataset.id], client);
    if (!open) return null;
    const [held] = await query<{ n: number }>(HELD, [dataset.id, userId, open.id], client);
    const handedOut = open.answered + (held?.n ?? 0);
    if (handedOut >= open.size) return null;
    const [leased] = await query<TLeased>(
      LEASE_FACE,
      [dataset.id, userId, open.id, open.guideExamples, leaseSeconds],
      client,
    );
    if (!leased) return null;
    return taskOf(leased, dataset, {
      qualification: { position: handedOut + 1, size: open.size, passMark: open.passMark },
    });
  });
}

const ADMINS = {
  name: "qualification.admins",
  text: `SELECT name, email FROM "User" WHERE role = 'ADMIN' ORDER BY name LIMIT 5`,
};

export async function adminContacts(): Promise<string[]> {
  return (await query<{ name: string; email: string }>(ADMINS, [])).map((a) => `${a.name} <${a.email}>`);
}

const REPLAY = {
  name: "qualification.replay",
  text: `SELECT a.id, a."imageId", a.label, ${iso(`a."createdAt"`)} AS "createdAt", t."userId"
         FROM "QualificationAnswer" a JOIN "QualificationAttempt" t ON t.id = a."attemptId"
         WHERE a."requestId" = $1`,
};
type TReplay = { id: string; imageId: string; label: string; createdAt: string; userId: string };

// $1 id, $2 attempt, $3 image, $4 label, $5 expected, $6 durationMs, $7 requestId, $8 examples per label,
// $9 dataset. Nothing is written for a guideline example or a face already answered in this attempt.
const ANSWER = {
  name: "qualification.answer",
  text: `
INSERT INTO "QualificationAnswer" (id, "attemptId", "imageId", label, expected, "isCorrect", "durationMs", "requestId", "createdAt")
SELECT $1, $2, $3, $4, $5, $4 = $5, $6, $7, ${NOW}
WHERE $3 NOT IN (${exampleGold("$9", "$8")})
ON CONFLICT DO NOTHING
RETURNING ${iso(`"createdAt"`)} AS "createdAt"`,
};

const SCORE = {
  name: "qualification.score",
  text: `
UPDATE "QualificationAttempt" SET answered = answered + 1, correct = correct + $2::int,
  "finishedAt" = CASE WHEN answered + 1 >= size THEN ${NOW} END,
  passed = CASE WHEN answered + 1 >= size THEN (correct + $2::int)::float8 >= "passMark" * size - 1e-9 END
WHERE id = $1
RETURNING answered, correct, size, "passMark", passed`,
};

const RELEASE = {
  name: "qualification.release",
  text: `DELETE FROM "TaskLease" WHERE "imageId" = $1 AND "annotatorId" = $2`,
};

const FAILED_COUNT = {
  name: "qualification.failedCount",
  text: `SELECT count(*)::int AS n FROM "QualificationAttempt"
         WHERE "userId" = $1 AND "datasetId" = $2 AND passed = false AND "voidedAt" IS NULL`,
};

type TImage = { datasetId: string; datasetName: string; gold: string | null };

async function notInRound(userId: string, image: TImage): Promise<HttpError> {
  const [state] = await qualificationStates(userId, image.datasetId);
  const ask = await adminContacts();
  const what = `Votes on "${image.datasetName}" count only after its qualification round`;
  if (state && state.attemptsLeft > 0 && state.attempts > 0)
    return new HttpError(403, `${what}: start another attempt first`, { qualification: state, ask });
  if (state && state.attempts > 0)
    return new HttpError(403, `${what}, and no attempt is left: ask an admin (${ask.join(", ")})`, {
      qualification: state,
      ask,
    });
  return new HttpError(403, `${what}: take a task to start it`, { qualification: state ?? null, ask });
}

// Records an answer of the caller's open round on the image's dataset (the vote API calls this instead of
// writing a vote when the annotator has not qualified there). Idempotent by requestId like a vote.
export async function answerQualification(
  userId: string,
  body: TVoteBody,
  image: TImage,
  progress: TProgress,
): Promise<TVoteResult & { status: 200 | 201 }> {
  const replay = async () => {
    const [prev] = await query<TReplay>(REPLAY, [body.requestId]);
    if (!prev) return null;
    if (prev.userId !== userId) throw new HttpError(409, "requestId already used by another request");
    const { userId: _, ...vote } = prev;
    return { vote, replayed: true, progress, status: 200 as const };
  };
  const first = await replay();
  if (first) return first;
  const answered = await transaction(async (client) => {
    const [open] = await query<TOpen>(LOCK_OPEN, [userId, image.datasetId], client);
    if (!open) return { kind: "closed" as const };
    if (image.gold === null) {
      throw new HttpError(
        409,
        `This face is not part of your qualification round on "${image.datasetName}"; take the next task`,
      );
    }
    const id = randomUUID();
    const [row] = await query<{ createdAt: string }>(
      ANSWER,
      [
        id,
        open.id,
        body.imageId,
        body.label,
        image.gold,
        body.durationMs ?? null,
        body.requestId,
        open.guideExamples,
        image.datasetId,
      ],
      client,
    );
    if (!row) return { kind: "refused" as const };
    const isCorrect = body.label === image.gold;
    const [score] = await query<{
      answered: number;
      correct: number;
      size: number;
      passMark: number;
      passed: boolean | null;
    }>(SCORE, [open.id, isCorrect ? 1 : 0], client);
    await query(RELEASE, [body.imageId, userId], client);
    const [failed] = await query<{ n: number }>(FAILED_COUNT, [userId, image.datasetId], client);
    return {
      kind: "ok" as const,
      vote: { id, imageId: body.imageId, label: body.label, createdAt: row.createdAt },
      isCorrect,
      score: score!,
      attemptsLeft: Math.max(0, open.maxAttempts - (failed?.n ?? 0)),
    };
  });
  if (answered.kind === "closed") throw await notInRound(userId, image);
  if (answered.kind === "refused") {
    // The same request raced itself, a face already answered in this round, or a guideline example.
    const raced = await replay();
    if (raced) return raced;
    throw new HttpError(
      409,
      "This face is already answered in your qualification round, or is not part of it",
    );
  }
  const { score } = answered;
  const status: TQualificationStatus = score.passed === null ? "open" : score.passed ? "passed" : "failed";
  return {
    vote: answered.vote,
    replayed: false,
    gold: {
      isCorrect: answered.isCorrect,
      expected: image.gold!,
      accuracy: score.correct / score.answered,
      answered: score.answered,
    },
    qualification: {
      datasetId: image.datasetId,
      datasetName: image.datasetName,
      answered: score.answered,
      correct: score.correct,
      size: score.size,
      passMark: score.passMark,
      status,
      attemptsLeft: answered.attemptsLeft,
      ask: status === "failed" ? await adminContacts() : [],
    },
    progress,
    status: 201,
  };
}

// POST /api/qualification: the annotator starts another attempt after a failed one.
export async function retryQualification(userId: string, datasetId: string) {
  const [state] = await qualificationStates(userId, datasetId);
  if (!state) throw new HttpError(404, "No qualification round on this dataset");
  if (state.passed)
    throw new HttpError(409, `You already passed the qualification round of "${state.datasetName}"`);
  if (state.open) return { state, started: false };
  if (state.attemptsLeft <= 0) {
    const ask = await adminContacts();
    throw new HttpError(
      403,
      `No attempt left on "${state.datasetName}": ask an admin to allow another (${ask.join(", ")})`,
      { qualification: state, ask },
    );
  }
  await query(START, [randomUUID(), userId, datasetId]);
  const [after] = await qualificationStates(userId, datasetId);
  if (!after?.open)
    throw new HttpError(409, `"${state.datasetName}" has no check faces to ask; ask an admin`);
  return { state: after, started: true };
}

const ALLOW = {
  name: "qualification.allow",
  text: `UPDATE "QualificationAttempt" SET "voidedAt" = ${NOW}
         WHERE id = (SELECT id FROM "QualificationAttempt"
                     WHERE "userId" = $1 AND "datasetId" = $2 AND passed = false AND "voidedAt" IS NULL
                     ORDER BY "finishedAt" DESC LIMIT 1)
         RETURNING id`,
};

// Admin: one more attempt for an annotator who used theirs (voids their latest failed attempt; kept on record).
export async function allowAnotherAttempt(userId: string, datasetId: string) {
  const [voided] = await query<{ id: string }>(ALLOW, [userId, datasetId]);
  if (!voided)
    throw new HttpError(409, "This annotator has no failed attempt on this dataset to allow again");
  const [state] = await qualificationStates(userId, datasetId);
  return { voided: voided.id, state: state ?? null };
}

import "server-only";
import { judgeChecks, type TCheckSettings, type TCheckStanding, warningText } from "@/lib/check-rule";
import { checkRuleOf } from "@/lib/check-settings";
import { iso, query } from "../sql";
import { grayPngDataUrl } from "../tasks/png";
import { GOLD_COLUMNS, GOLD_VOTES, recentCheckOutcomes } from "../tasks/progress";

// An annotator's check answers (votes on gold faces and qualification answers), where they stand on each
// dataset's pause rule, and their qualification attempts: the "My checks" page and its admin twin.

export type TCheckAnswer = {
  id: string;
  kind: "check" | "qualification";
  imageId: string;
  thumb: string;
  datasetId: string;
  datasetName: string;
  label: string;
  expected: string;
  isCorrect: boolean;
  createdAt: string;
  // Whether the pause rule judges it now: yes (in the window), or why not.
  counts: "yes" | "before-resume" | "older" | "qualification";
};

export type TDatasetStanding = {
  datasetId: string;
  datasetName: string;
  datasetSlug: string;
  rule: TCheckSettings;
  standing: TCheckStanding;
  allTime: { answered: number; correct: number };
};

export type TAttemptRow = {
  id: string;
  datasetName: string;
  size: number;
  answered: number;
  correct: number;
  passMark: number;
  passed: boolean | null;
  startedAt: string;
  finishedAt: string | null;
  voidedAt: string | null;
};

export type TCheckReport = {
  user: {
    id: string;
    name: string;
    email: string;
    pausedAt: string | null;
    pausedReason: string | null;
    resumedAt: string | null;
  };
  standings: TDatasetStanding[];
  answers: TCheckAnswer[];
  totalAnswers: number;
  attempts: TAttemptRow[];
};

const USER = {
  name: "checks.user",
  text: `SELECT id, name, email, ${iso(`"pausedAt"`)} AS "pausedAt", "pausedReason", ${iso(`"resumedAt"`)} AS "resumedAt"
         FROM "User" WHERE id = $1`,
};

// Per dataset the annotator answered checks on: all-time figures and the pause rule's window. $1 user.
const STANDINGS = {
  name: "checks.standings",
  text: `
SELECT d.id AS "datasetId", d.name AS "datasetName", d.slug AS "datasetSlug", d."goldMinAccuracy",
  d."goldMinAnswers", d."goldWindow", d."goldConfidence", s.answered, s.correct,
  ${recentCheckOutcomes("$1", "d.id", `(SELECT "resumedAt" FROM "User" WHERE id = $1)`, `d."goldWindow"`)} AS recent
FROM "Dataset" d
JOIN (SELECT i."datasetId", ${GOLD_COLUMNS} FROM ${GOLD_VOTES} WHERE v."annotatorId" = $1 GROUP BY 1) s
  ON s."datasetId" = d.id
ORDER BY d."createdAt"`,
};
type TStandingRow = {
  datasetId: string;
  datasetName: string;
  datasetSlug: string;
  goldMinAccuracy: number;
  goldMinAnswers: number;
  goldWindow: number;
  goldConfidence: number;
  answered: number;
  correct: number;
  recent: boolean[];
};

// Check votes and qualification answers, newest first. $1 user, $2 limit.
const ANSWERS_FROM = `(
  SELECT v.id, 'check' AS kind, v."imageId", v.label, g.label AS expected, v.label = g.label AS "isCorrect",
         v."createdAt"
  FROM ${GOLD_VOTES} WHERE v."annotatorId" = $1
  UNION ALL
  SELECT a.id, 'qualification', a."imageId", a.label, a.expected, a."isCorrect", a."createdAt"
  FROM "QualificationAnswer" a JOIN "QualificationAttempt" t ON t.id = a."attemptId" WHERE t."userId" = $1
) x`;
const ANSWERS = {
  name: "checks.answers",
  text: `
SELECT x.id, x.kind, x."imageId", x.label, x.expected, x."isCorrect", ${iso(`x."createdAt"`)} AS "createdAt",
  im."datasetId", d.name AS "datasetName", im.pixels, im.width, im.height
FROM ${ANSWERS_FROM} JOIN "Image" im ON im.id = x."imageId" JOIN "Dataset" d ON d.id = im."datasetId"
ORDER BY x."createdAt" DESC, x.id DESC
LIMIT $2`,
};
const ANSWER_COUNT = { name: "checks.answerCount", text: `SELECT count(*)::int AS n FROM ${ANSWERS_FROM}` };

const ATTEMPTS = {
  name: "checks.attempts",
  text: `SELECT t.id, d.name AS "datasetName", t.size, t.answered, t.correct, t."passMark", t.passed,
                ${iso(`t."startedAt"`)} AS "startedAt", ${iso(`t."finishedAt"`)} AS "finishedAt",
                ${iso(`t."voidedAt"`)} AS "voidedAt"
         FROM "QualificationAttempt" t JOIN "Dataset" d ON d.id = t."datasetId"
         WHERE t."userId" = $1 ORDER BY t."startedAt" DESC`,
};

type TAnswerRow = Omit<TCheckAnswer, "thumb" | "counts"> & { pixels: Buffer; width: number; height: number };

// Where the annotator stands on each dataset they answered checks on.
export async function checkStandings(userId: string): Promise<TDatasetStanding[]> {
  const rows = await query<TStandingRow>(STANDINGS, [userId]);
  return rows.map((r) => {
    const rule = checkRuleOf(r);
    return {
      datasetId: r.datasetId,
      datasetName: r.datasetName,
      datasetSlug: r.datasetSlug,
      rule,
      standing: judgeChecks(r.recent, rule),
      allTime: { answered: r.answered, correct: r.correct },
    };
  });
}

// The warnings /label shows on arrival, by dataset id (the same words as after a check answer).
export async function checkWarnings(userId: string): Promise<Record<string, string>> {
  const warnings: Record<string, string> = {};
  for (const s of await checkStandings(userId)) {
    if (s.standing.status !== "warning") continue;
    warnings[s.datasetId] = warningText(s.datasetName, { ...s.standing, threshold: s.rule.threshold });
  }
  return warnings;
}

export async function checkReport(userId: string, limit = 200): Promise<TCheckReport | null> {
  const [user] = await query<TCheckReport["user"]>(USER, [userId]);
  if (!user) return null;
  const [standings, answerRows, [count], attempts] = await Promise.all([
    checkStandings(userId),
    query<TAnswerRow>(ANSWERS, [userId, limit]),
    query<{ n: number }>(ANSWER_COUNT, [userId]),
    query<TAttemptRow>(ATTEMPTS, [userId]),
  ]);
  // The newest check answers since the probation start, up to each dataset's window, are the ones judged now
  // (the same order as recentCheckOutcomes: createdAt, then id, newest first).
  const inWindow = new Map(standings.map((s) => [s.datasetId, s.standing.answered]));
  const answers = answerRows.map(({ pixels, width, height, ...a }): TCheckAnswer => {
    const left = inWindow.get(a.datasetId) ?? 0;
    let counts: TCheckAnswer["counts"] = "yes";
    if (a.kind === "qualification") counts = "qualification";
    else if (user.resumedAt && a.createdAt < user.resumedAt) counts = "before-resume";
    else if (left <= 0) counts = "older";
    else inWindow.set(a.datasetId, left - 1);
    return { ...a, thumb: grayPngDataUrl(pixels, width, height), counts };
  });
  return { user, standings, answers, totalAnswers: count?.n ?? 0, attempts };
}

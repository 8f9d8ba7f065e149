// The archive test's dataset and its oracle: every table's rows of a dataset in a form that does not depend on
// database ids (images by external id, people by annotator ref, exclusions by ref/time), read with SQL of its
// own rather than through the exporter, so that two databases can be compared row for row.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TDb } from "@concord/db";
import { expect } from "vitest";
import { annotatorRef } from "../src/archive/format";
import { drawFace } from "../src/demo/faces";
import { createRng } from "../src/demo/rng";
import { importDataset } from "../src/import";
import { encodePng48 } from "../src/pixels";
import { tempDir } from "./helpers";

export const SLUG = "arch";
const T = (s: string) => new Date(`2026-11-0${s}Z`);

// A generic folder with an exact duplicate (a leak-guard pair), identified votes and gold; then what the web
// and the worker add: a vote with duration and request id, an imported tally, the project's settings, two
// exclusions (one active, one revoked), review actions (an active image exclusion, a raised vote target, a
// revoked accept), two qualification attempts with answers and an open one, and a snapshot whose statistics
// are keyed by annotator and name the exclusion it applied.
export async function seed(db: TDb) {
  const dir = tempDir("archive-src");
  mkdirSync(join(dir, "train"));
  mkdirSync(join(dir, "valid"));
  const rng = createRng(3);
  const faces = ["happiness", "fear", "surprise", "anger", "sadness"] as const;
  for (const [k, e] of faces.entries())
    writeFileSync(join(dir, "train", `f${k}.png`), encodePng48(drawFace(e, rng)));
  writeFileSync(join(dir, "valid", "twin.png"), readFileSync(join(dir, "train", "f0.png")));
  writeFileSync(
    join(dir, "votes.csv"),
    [
      "task,worker,label",
      "f0,w1,happiness",
      "f0,w2,happiness",
      "f1,w1,fear",
      "f1,w2,surprise",
      "f2,w3,2",
    ].join("\n"),
  );
  writeFileSync(join(dir, "gold.csv"), "task,label\nf3,anger\n");
  const r = await importDataset(db, { datasetSlug: SLUG, path: dir, layout: "generic" });
  expect(r.added).toBe(6);
  const ds = await db.dataset.update({
    where: { slug: SLUG },
    data: {
      minVotes: 3,
      goldMinAccuracy: 0.7,
      goldWindow: 30,
      goldConfidence: 0.9,
      guidelines: "Look at the mouth first.",
      guideExamples: 0,
      qualificationSize: 1,
      qualificationPassMark: 1,
      qualificationAttempts: 3,
      stoppingPrior: "MODEL",
    },
  });
  const img = async (ext: string) =>
    (await db.image.findFirstOrThrow({ where: { datasetId: ds.id, externalId: ext } })).id;
  const admin = await db.user.create({
    data: { email: "admin@example.org", name: "Ada Admin", passwordHash: "x", role: "ADMIN" },
  });
  const worker = (w: string) => db.user.findFirstOrThrow({ where: { email: { startsWith: `${w}@` } } });
  const [w1, w2, w3] = [await worker("w1"), await worker("w2"), await worker("w3")];
  await db.vote.create({
    data: {
      imageId: await img("f4"),
      annotatorId: admin.id,
      label: "sadness",
      durationMs: 812,
      requestId: "req-0001",
      createdAt: T("2T10:11:12.345"),
    },
  });
  await db.importedTally.create({
    data: { imageId: await img("f2"), source: "crowd-x", counts: [0, 1, 3, 0, 0, 0, 0, 0, 1, 0] },
  });
  const excluded = await db.annotatorExclusion.create({
    data: {
      annotatorId: w2.id,
      reason: "random keys",
      createdById: admin.id,
      createdAt: T("3T09:00:00.001"),
    },
  });
  await db.annotatorExclusion.create({
    data: {
      annotatorId: w3.id,
      reason: "too fast",
      createdById: admin.id,
      createdAt: T("3T09:05:00.000"),
      revokedById: admin.id,
      revokedAt: T("3T11:00:00.000"),
    },
  });
  await db.imageAction.createMany({
    data: [
      {
        imageId: await img("f1"),
        kind: "EXCLUDE",
        label: "fear",
        createdById: admin.id,
        createdAt: T("4T08:00:00.000"),
      },
      {
        imageId: await img("f0"),
        kind: "MORE_VOTES",
        votes: 3,
        target: 5,
        createdById: admin.id,
        createdAt: T("4T08:01:00.000"),
      },
      {
        imageId: await img("f2"),
        kind: "ACCEPT",
        label: "surprise",
        createdById: admin.id,
        createdAt: T("4T08:02:00.000"),
        revokedById: admin.id,
        revokedAt: T("4T08:03:00.000"),
      },
    ],
  });
  const attempt = (userId: string, startedAt: string, result: object = {}) =>
    db.qualificationAttempt.create({
      data: { userId, datasetId: ds.id, size: 1, passMark: 1, startedAt: T(startedAt), ...result },
    });
  const done = (correct: number, finishedAt: string) => ({
    answered: 1,
    correct,
    passed: correct === 1,
    finishedAt: T(finishedAt),
  });
  const failed = await attempt(w3.id, "5T09:00:00.000", {
    ...done(0, "5T09:00:05.000"),
    voidedAt: T("5T10:00:00.000"),
  });
  const passed = await attempt(w3.id, "5T10:30:00.000", done(1, "5T10:30:04.000"));
  await attempt(w1.id, "5T12:00:00.000"); // open
  const f3 = await img("f3");
  await db.qualificationAnswer.createMany({
    data: [
      {
        attemptId: failed.id,
        imageId: f3,
        label: "fear",
        expected: "anger",
        isCorrect: false,
        durationMs: 900,
        requestId: "q-0001",
        createdAt: T("5T09:00:05.000"),
      },
      {
        attemptId: passed.id,
        imageId: f3,
        label: "anger",
        expected: "anger",
        isCorrect: true,
        durationMs: 1200,
        requestId: "q-0002",
        createdAt: T("5T10:30:04.000"),
      },
    ],
  });
  const snap = await db.labelSnapshot.create({
    data: {
      datasetId: ds.id,
      method: "ds",
      params: { smoothing: 0.01 },
      contentHash: "c0ffee",
      stats: {
        items: 2,
        workerSkill: { [w1.id]: 0.8, [admin.id]: 0.6 },
        excludedAnnotators: [{ annotatorId: w2.id, exclusionId: excluded.id, votes: 2 }],
      },
      createdById: admin.id,
    },
  });
  const probs = Array.from({ length: 10 }, (_, k) => (k === 1 ? 0.9 : 0.1 / 9));
  await db.softLabel.create({
    data: { snapshotId: snap.id, imageId: await img("f0"), probs, label: "happiness", votes: 2 },
  });
}

/** Rows of every table in the whole database: "changes nothing" compares these before and after. */
export async function counts(db: TDb) {
  return {
    datasets: await db.dataset.count(),
    users: await db.user.count(),
    images: await db.image.count(),
    votes: await db.vote.count(),
    gold: await db.goldLabel.count(),
    tallies: await db.importedTally.count(),
    pairs: await db.duplicatePair.count(),
    snapshots: await db.labelSnapshot.count(),
    softLabels: await db.softLabel.count(),
    exclusions: await db.annotatorExclusion.count(),
    imageActions: await db.imageAction.count(),
    attempts: await db.qualificationAttempt.count(),
    answers: await db.qualificationAnswer.count(),
    batches: await db.importBatch.count(),
  };
}

// Per table, its rows of dataset $1 as JSON (database ids still in; `portable` replaces them).
const IMAGE = `JOIN "Image" i ON i."id" = t."imageId" JOIN "Dataset" d ON d."id" = i."datasetId" WHERE d."slug" = $1`;
const TABLES = {
  Dataset: `SELECT "slug","name","description","source","taxonomy","targetConfidence","minVotes","maxVotes","goldRate",
      "goldMinAccuracy","goldMinAnswers","goldWindow","goldConfidence","guidelines","guideExamples","qualificationSize",
      "qualificationPassMark","qualificationAttempts","doneSignatures","stoppingPrior","createdAt" FROM "Dataset" t WHERE "slug" = $1`,
  Image: `SELECT t."externalId",t."split",t."sha256",t."phash",t."width",t."height",encode(t."pixels",'hex') AS px,
      t."conversion",t."createdAt"
      FROM "Image" t JOIN "Dataset" d ON d."id" = t."datasetId" WHERE d."slug" = $1`,
  Vote: `SELECT i."externalId",t."annotatorId",t."label",t."durationMs",t."requestId",t."isGold",t."createdAt" FROM "Vote" t ${IMAGE}`,
  GoldLabel: `SELECT i."externalId",t."label",t."createdAt" FROM "GoldLabel" t ${IMAGE}`,
  ImportedTally: `SELECT i."externalId",t."source",t."counts",t."createdAt" FROM "ImportedTally" t ${IMAGE}`,
  DuplicatePair: `SELECT least(a."externalId", b."externalId") AS a, greatest(a."externalId", b."externalId") AS b,
      t."kind",t."distance",t."crossSplit" FROM "DuplicatePair" t JOIN "Image" a ON a."id" = t."imageAId"
      JOIN "Image" b ON b."id" = t."imageBId" JOIN "Dataset" d ON d."id" = t."datasetId" WHERE d."slug" = $1`,
  LabelSnapshot: `SELECT t."method",t."params",t."contentHash",t."stats",t."createdById",t."createdAt"
      FROM "LabelSnapshot" t JOIN "Dataset" d ON d."id" = t."datasetId" WHERE d."slug" = $1`,
  SoftLabel: `SELECT s."contentHash",i."externalId",t."probs",t."label",t."votes" FROM "SoftLabel" t
      JOIN "LabelSnapshot" s ON s."id" = t."snapshotId" ${IMAGE}`,
  // Exclusions are about people: those of the dataset's voters.
  AnnotatorExclusion: `SELECT t."annotatorId",t."reason",t."createdById",t."createdAt",t."revokedById",t."revokedAt"
      FROM "AnnotatorExclusion" t WHERE t."annotatorId" IN (SELECT v."annotatorId" FROM "Vote" v ${IMAGE.replace("t.", "v.")})`,
  ImageAction: `SELECT i."externalId",t."kind",t."votes",t."target",t."label",t."createdById",t."createdAt",t."revokedById",
      t."revokedAt" FROM "ImageAction" t ${IMAGE}`,
  QualificationAttempt: `SELECT t."userId",t."size",t."passMark",t."answered",t."correct",t."passed",t."voidedAt",t."startedAt",
      t."finishedAt" FROM "QualificationAttempt" t JOIN "Dataset" d ON d."id" = t."datasetId" WHERE d."slug" = $1`,
  QualificationAnswer: `SELECT q."userId",q."startedAt",i."externalId",t."label",t."expected",t."isCorrect",t."durationMs",
      t."requestId",t."createdAt" FROM "QualificationAnswer" t JOIN "QualificationAttempt" q ON q."id" = t."attemptId" ${IMAGE}`,
  // Derived by the triggers, not archived: equal after a restore (target from the review actions).
  ImageTally: `SELECT i."externalId",t."votes",t."counts",t."gold",t."done",t."target" FROM "ImageTally" t ${IMAGE}`,
} as const;
export type TTable = keyof typeof TABLES;

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v !== null && typeof v === "object"
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, x]) => [k, sortKeys(x)]),
        )
      : v;

/**
 * Every table's rows of the dataset, ids replaced by annotator refs (or emails, to compare an identified restore)
 * and exclusion keys, sorted; and a sha256 per table.
 */
export async function dumpTables(db: TDb, people: "ref" | "email" = "ref") {
  const users = await db.user.findMany({ select: { id: true, email: true } });
  const names = new Map(users.map((u) => [u.id, people === "ref" ? annotatorRef(u) : u.email]));
  const exclusions = await db.annotatorExclusion.findMany();
  for (const x of exclusions) names.set(x.id, `${names.get(x.annotatorId)}/${x.createdAt.toISOString()}`);
  const portable = (v: unknown): unknown =>
    typeof v === "string"
      ? (names.get(v) ?? v)
      : Array.isArray(v)
        ? v.map(portable)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [names.get(k) ?? k, portable(x)]))
          : v;
  const rows = {} as Record<TTable, string[]>;
  const hashes = {} as Record<TTable, string>;
  for (const [table, sql] of Object.entries(TABLES) as [TTable, string][]) {
    const got = await db.$queryRawUnsafe<{ row: unknown }[]>(
      `SELECT row_to_json(x) AS row FROM (${sql}) x`,
      SLUG,
    );
    rows[table] = got.map((g) => JSON.stringify(sortKeys(portable(g.row)))).sort();
    hashes[table] = createHash("sha256").update(rows[table].join("\n")).digest("hex");
  }
  return { rows, hashes };
}

/**
 * The votes the next label snapshot aggregates (as the worker's crowd input selects them): none of an
 * annotator with an active exclusion, none on a face with an active EXCLUDE review action.
 */
export async function snapshotVotes(db: TDb): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ ext: string; email: string; id: string; label: string }[]>(
    `SELECT i."externalId" AS ext, u."email", u."id", v."label" FROM "Vote" v JOIN "Image" i ON i."id" = v."imageId"
     JOIN "Dataset" d ON d."id" = i."datasetId" JOIN "User" u ON u."id" = v."annotatorId"
     WHERE d."slug" = $1
       AND NOT EXISTS (SELECT 1 FROM "AnnotatorExclusion" x WHERE x."annotatorId" = v."annotatorId" AND x."revokedAt" IS NULL)
       AND NOT EXISTS (SELECT 1 FROM "ImageAction" a WHERE a."imageId" = i."id" AND a."kind" = 'EXCLUDE' AND a."revokedAt" IS NULL)`,
    SLUG,
  );
  return rows.map((r) => `${r.ext} ${annotatorRef(r)} ${r.label}`).sort();
}

// Check answers against a real Postgres (fresh database for this file): fair pausing (minimum, Wilson bound
// over a window, warning), Resume's probation window, guideline examples kept out of the checks, and the
// qualification round (answers are not votes, retry, an admin's extra attempt).

import { FERPLUS_LABELS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TTask } from "../src/server/tasks/lease";

let t: TTestDatabase;
let assign: typeof import("../src/server/tasks/assign");
let votes: typeof import("../src/server/tasks/votes");
let users: typeof import("../src/server/users/users");
let qualification: typeof import("../src/server/checks/qualification");
let settings: typeof import("../src/server/checks/settings");
let report: typeof import("../src/server/checks/my-checks");
let nextTask: typeof import("../src/server/tasks/next-task");

const TAXONOMY = [...FERPLUS_LABELS];
let seq = 0;
const rid = () => `req-${Date.now()}-${seq++}`;
const never = () => 0.999;

beforeAll(async () => {
  t = await createTestDatabase("concord_web_checks");
  process.env.DATABASE_URL = t.url;
  assign = await import("../src/server/tasks/assign");
  votes = await import("../src/server/tasks/votes");
  users = await import("../src/server/users/users");
  qualification = await import("../src/server/checks/qualification");
  settings = await import("../src/server/checks/settings");
  report = await import("../src/server/checks/my-checks");
  nextTask = await import("../src/server/tasks/next-task");
});
afterAll(async () => {
  const { getDb } = await import("@concord/db");
  await getDb().$disconnect();
  await t.drop();
});

async function annotator(name: string) {
  return (
    await t.db.user.create({
      data: { email: `${name}-${seq++}@t.local`, name, passwordHash: "x", role: "ANNOTATOR" },
    })
  ).id;
}

// A dataset with `gold` gold faces (labels in turn from goldLabels) and `plain` faces without gold.
async function dataset(opts: {
  gold: number;
  plain?: number;
  goldLabels?: string[];
  data?: Record<string, unknown>;
}) {
  const n = seq++;
  const ds = await t.db.dataset.create({
    data: { slug: `checks-${n}`, name: `Checks ${n}`, source: "SYNTHETIC", taxonomy: TAXONOMY, ...opts.data },
  });
  const total = opts.gold + (opts.plain ?? 0);
  await t.db.image.createMany({
    data: Array.from({ length: total }, (_, i) => ({
      datasetId: ds.id,
      split: "TRAIN" as const,
      externalId: `img-${String(i).padStart(3, "0")}`,
      sha256: `${n}-${i}`.padStart(64, "0"),
      phash: String(i).padStart(16, "0"),
      pixels: new Uint8Array(48 * 48).fill(i * 7),
    })),
  });
  const images = await t.db.image.findMany({ where: { datasetId: ds.id }, orderBy: { externalId: "asc" } });
  const labels = opts.goldLabels ?? ["fear"];
  await t.db.goldLabel.createMany({
    data: images.slice(0, opts.gold).map((im, i) => ({ imageId: im.id, label: labels[i % labels.length]! })),
  });
  return {
    id: ds.id,
    gold: images.slice(0, opts.gold).map((im, i) => ({ id: im.id, label: labels[i % labels.length]! })),
    plain: images.slice(opts.gold).map((im) => im.id),
  };
}

const answer = (user: string, imageId: string, label: string) =>
  votes.castVote(user, { imageId, label, requestId: rid() }, { roles: ["ANNOTATOR"] });
const wrongFor = (label: string) => (label === "anger" ? "fear" : "anger");

describe("fair pausing", () => {
  it("no pause before the minimum (10): nine wrong answers only warn; the tenth pauses (upper 27.8% < 60%)", async () => {
    const ds = await dataset({ gold: 12 });
    const u = await annotator("nine");
    for (let i = 0; i < 9; i++) {
      const r = await answer(u, ds.gold[i]!.id, "anger");
      expect(r.paused).toBeUndefined();
      expect(r.gold?.standing).toMatchObject({
        answered: i + 1,
        correct: 0,
        toMinimum: 9 - i,
        status: "warning",
      });
    }
    expect((await t.db.user.findUniqueOrThrow({ where: { id: u } })).pausedAt).toBeNull();
    const tenth = await answer(u, ds.gold[9]!.id, "anger");
    expect(tenth.gold?.standing).toMatchObject({ answered: 10, status: "pause" });
    expect(tenth.gold!.standing!.upper).toBeCloseTo(0.27752, 4);
    expect(tenth.paused?.reason).toContain("Your last 10 check answers on");
    expect(tenth.paused?.reason).toContain("0 right (0%)");
    expect(tenth.paused?.reason).toContain("27.8%, is below the 60%");
    expect(tenth.paused?.reason).toContain("My checks");
    expect((await t.db.user.findUniqueOrThrow({ where: { id: u } })).pausedAt).not.toBeNull();
    // Paused: the next answer is refused before anything is written.
    await expect(answer(u, ds.gold[10]!.id, "fear")).rejects.toMatchObject({ status: 403 });
  });

  it("3 right of 10 is only a warning (upper 60.3%); the window holds the newest answers", async () => {
    const ds = await dataset({ gold: 15 });
    const u = await annotator("three");
    let last: Awaited<ReturnType<typeof answer>> | undefined;
    for (let i = 0; i < 10; i++) last = await answer(u, ds.gold[i]!.id, i < 3 ? "fear" : "anger");
    expect(last?.paused).toBeUndefined();
    expect(last?.gold?.standing).toMatchObject({ answered: 10, correct: 3, status: "warning" });
    // Five more right answers with a window of 10: the oldest five (3 right, 2 wrong) drop out -> 6 of 10.
    await t.db.dataset.update({ where: { id: ds.id }, data: { goldWindow: 10 } });
    for (let i = 10; i < 15; i++) last = await answer(u, ds.gold[i]!.id, "fear");
    expect(last?.gold?.standing).toMatchObject({ answered: 10, correct: 5, status: "warning" });
    expect(last?.gold).toMatchObject({ answered: 15, accuracy: 8 / 15 });
  });

  it("Resume starts a probation window: old answers do not pause again; the minimum counts afresh", async () => {
    const ds = await dataset({ gold: 21 });
    const u = await annotator("resumed");
    const admin = await annotator("admin");
    for (let i = 0; i < 10; i++) await answer(u, ds.gold[i]!.id, "anger");
    expect((await t.db.user.findUniqueOrThrow({ where: { id: u } })).pausedAt).not.toBeNull();
    await users.updateUser(admin, u, { resume: true });
    const resumed = await t.db.user.findUniqueOrThrow({ where: { id: u } });
    expect(resumed.pausedAt).toBeNull();
    expect(resumed.resumedAt).not.toBeNull();

    // The old rule: "1 of 6" and paused again at once. Now: one answer since the resume, 9 to the minimum.
    const first = await answer(u, ds.gold[10]!.id, "anger");
    expect(first.paused).toBeUndefined();
    expect(first.gold).toMatchObject({ answered: 11, standing: { answered: 1, toMinimum: 9 } });
    for (let i = 11; i < 19; i++) expect((await answer(u, ds.gold[i]!.id, "anger")).paused).toBeUndefined();
    const tenthSince = await answer(u, ds.gold[19]!.id, "anger");
    expect(tenthSince.gold?.standing).toMatchObject({ answered: 10, status: "pause" });
    expect(tenthSince.paused).toBeDefined();

    // My checks: 20 answers listed, the 10 since the resume (and only those) count now.
    const r = await report.checkReport(u);
    expect(r?.totalAnswers).toBe(20);
    const counting = r!.answers.filter((a) => a.counts === "yes");
    expect(counting).toHaveLength(10);
    expect(counting.every((a) => a.createdAt >= r!.user.resumedAt!)).toBe(true);
    expect(r!.answers.filter((a) => a.counts === "before-resume")).toHaveLength(10);
    expect(r?.standings[0]).toMatchObject({
      allTime: { answered: 20, correct: 0 },
      standing: { answered: 10 },
    });
    expect(r?.answers[0]?.thumb).toMatch(/^data:image\/png;base64,/);
  });
});

describe("guideline examples", () => {
  it("are the first N gold faces per label and are never served as checks", async () => {
    const ds = await dataset({ gold: 6, plain: 2, goldLabels: ["fear", "anger"], data: { goldRate: 1 } });
    // guideExamples defaults to 2: fear gets gold[0], gold[2]; anger gold[1], gold[3].
    const examples = new Set([ds.gold[0]!.id, ds.gold[1]!.id, ds.gold[2]!.id, ds.gold[3]!.id]);
    const u = await annotator("examples");
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const task = await assign.findNextTask(u, { datasetId: ds.id, random: () => 0 });
      if (task) served.push(task.imageId);
    }
    expect(served.filter((id) => ds.gold.some((g) => g.id === id)).sort()).toEqual(
      [ds.gold[4]!.id, ds.gold[5]!.id].sort(),
    );
    expect(served.some((id) => examples.has(id))).toBe(false);
    expect(await settings.goldPool(ds.id, 2)).toEqual({ gold: 6, examples: 4, checkFaces: 2 });
  });
});

describe("qualification round", () => {
  const setup = async () => {
    // 6 gold (3 fear, 3 anger), 1 example per label -> 4 check faces; K = 3, 2 of 3 needed, 2 attempts.
    const ds = await dataset({
      gold: 6,
      plain: 3,
      goldLabels: ["fear", "anger"],
      data: {
        guideExamples: 1,
        qualificationSize: 3,
        qualificationPassMark: 0.67,
        qualificationAttempts: 2,
        goldRate: 0,
      },
    });
    const examples = new Set([ds.gold[0]!.id, ds.gold[1]!.id]);
    const expected = new Map(ds.gold.map((g) => [g.id, g.label]));
    return { ds, examples, expected };
  };

  it("serves only round faces until passed; answers are not votes; a failed round blocks until retried", async () => {
    const { ds, examples, expected } = await setup();
    const u = await annotator("qual");
    const round: (TTask | null)[] = [];
    for (let i = 0; i < 3; i++) round.push(await assign.findNextTask(u, { datasetId: ds.id, random: never }));
    expect(round.map((task) => task?.qualification?.position)).toEqual([1, 2, 3]);
    expect(round.every((task) => task && expected.has(task.imageId) && !examples.has(task.imageId))).toBe(
      true,
    );
    // All three faces are handed out: no fourth, and no plain face either.
    expect(await assign.findNextTask(u, { datasetId: ds.id, random: never })).toBeNull();
    // A plain face posted by hand is refused, nothing written.
    await expect(answer(u, ds.plain[0]!, "happiness")).rejects.toMatchObject({ status: 409 });

    const results = [];
    for (const task of round)
      results.push(await answer(u, task!.imageId, wrongFor(expected.get(task!.imageId)!)));
    expect(results.map((r) => r.qualification?.status)).toEqual(["open", "open", "failed"]);
    expect(results[2]).toMatchObject({
      status: 201,
      gold: { isCorrect: false },
      qualification: { answered: 3, correct: 0, size: 3, attemptsLeft: 1 },
    });
    expect(await t.db.vote.count({ where: { annotatorId: u } })).toBe(0);
    expect(await t.db.qualificationAnswer.count({ where: { attempt: { userId: u } } })).toBe(3);
    const tallies = await t.db.imageTally.findMany({ where: { datasetId: ds.id } });
    expect(tallies.every((x) => x.votes === 0)).toBe(true);

    // Blocked: no task; the next-task answer says why and who to ask.
    expect(await assign.findNextTask(u, { datasetId: ds.id, random: never })).toBeNull();
    const next = await nextTask.nextTaskFor(u, ds.id);
    expect(next.task).toBeNull();
    expect(next.blocked?.rounds[0]).toMatchObject({
      datasetId: ds.id,
      attemptsLeft: 1,
      last: { correct: 0 },
    });
    await expect(answer(u, ds.gold[5]!.id, "anger")).rejects.toMatchObject({ status: 403 });

    // Retry: the face not met in the first attempt comes first.
    expect((await qualification.retryQualification(u, ds.id)).started).toBe(true);
    const unseen = ds.gold.slice(2).find((g) => !round.some((task) => task?.imageId === g.id))!;
    const again = await assign.findNextTask(u, { datasetId: ds.id, random: never });
    expect(again).toMatchObject({ imageId: unseen.id, qualification: { position: 1, size: 3 } });
    const second = [again];
    for (let i = 0; i < 2; i++)
      second.push(await assign.findNextTask(u, { datasetId: ds.id, random: never }));
    const passed = [];
    for (const task of second) passed.push(await answer(u, task!.imageId, expected.get(task!.imageId)!));
    expect(passed.map((r) => r.qualification?.status)).toEqual(["open", "open", "passed"]);
    expect(await t.db.vote.count({ where: { annotatorId: u } })).toBe(0);

    // Qualified: real tasks; faces met in the round are not served as checks later.
    await t.db.dataset.update({ where: { id: ds.id }, data: { goldRate: 1 } });
    const real = await assign.findNextTask(u, { datasetId: ds.id, random: () => 0 });
    expect(real?.qualification).toBeUndefined();
    expect(ds.plain).toContain(real?.imageId);
    const vote = await answer(u, real!.imageId, "happiness");
    expect(vote).toMatchObject({ status: 201 });
    expect(vote.qualification).toBeUndefined();
    expect(await t.db.vote.count({ where: { annotatorId: u } })).toBe(1);
  });

  it("after the last attempt only an admin can allow another; retry is refused until then", async () => {
    const { ds, expected } = await setup();
    const u = await annotator("spent");
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) await qualification.retryQualification(u, ds.id);
      for (let i = 0; i < 3; i++) {
        const task = await assign.findNextTask(u, { datasetId: ds.id, random: never });
        await answer(u, task!.imageId, wrongFor(expected.get(task!.imageId)!));
      }
    }
    await expect(qualification.retryQualification(u, ds.id)).rejects.toMatchObject({ status: 403 });
    const [state] = await qualification.qualificationStates(u, ds.id);
    expect(state).toMatchObject({ failed: 2, attempts: 2, attemptsLeft: 0, passed: false });
    const allowed = await qualification.allowAnotherAttempt(u, ds.id);
    expect(allowed.state).toMatchObject({ failed: 1, attemptsLeft: 1 });
    expect((await qualification.retryQualification(u, ds.id)).started).toBe(true);
    // All attempts stay on record.
    expect(await t.db.qualificationAttempt.count({ where: { userId: u } })).toBe(3);
  });

  it("a replayed answer returns the same answer; settings refuse more faces than the checks", async () => {
    const { ds } = await setup();
    const u = await annotator("replay");
    const task = await assign.findNextTask(u, { datasetId: ds.id, random: never });
    const body = { imageId: task!.imageId, label: "neutral", requestId: rid() };
    const first = await votes.castVote(u, body, { roles: ["ANNOTATOR"] });
    const again = await votes.castVote(u, body, { roles: ["ANNOTATOR"] });
    expect(again).toMatchObject({ status: 200, replayed: true, vote: first.vote });
    expect(await t.db.qualificationAnswer.count({ where: { attempt: { userId: u } } })).toBe(1);

    const valid = {
      goldMinAccuracy: 0.6,
      goldMinAnswers: 10,
      goldWindow: 20,
      goldConfidence: 0.95,
      guidelines: "",
      guideExamples: 1,
      qualificationSize: 5,
      qualificationPassMark: 0.8,
      qualificationAttempts: 2,
    };
    await expect(settings.updateDatasetChecks(ds.id, valid)).rejects.toMatchObject({
      status: 400,
      details: { field: "qualificationSize" },
    });
    const saved = await settings.updateDatasetChecks(ds.id, { ...valid, qualificationSize: 4 });
    expect(saved).toMatchObject({ qualificationSize: 4, pool: { checkFaces: 4 } });
  });
});

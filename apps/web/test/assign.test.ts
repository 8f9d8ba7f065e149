// Next-task assignment and votes against a real Postgres (fresh database for this file).

import { FERPLUS_LABELS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

let t: TTestDatabase;
let assign: typeof import("../src/server/tasks/assign");
let votes: typeof import("../src/server/tasks/votes");
let overlap: typeof import("../src/server/tasks/overlap");
let datasetId: string;
let users: string[];
let images: string[];

const TAXONOMY = [...FERPLUS_LABELS];
const never = () => 0.999; // no gold draw
let seq = 0;
const rid = () => `req-${Date.now()}-${seq++}`;

beforeAll(async () => {
  t = await createTestDatabase("concord_web_assign");
  process.env.DATABASE_URL = t.url; // read once, on first use, by src/server/env.ts
  // A small pool makes connection starvation visible: assignment must hold only its own connection.
  process.env.CONCORD_DB_POOL = "3";
  assign = await import("../src/server/tasks/assign");
  votes = await import("../src/server/tasks/votes");
  overlap = await import("../src/server/tasks/overlap");
  const u = await Promise.all(
    ["a", "b", "c", "d"].map((n) =>
      t.db.user.create({ data: { email: `${n}@t.local`, name: n, passwordHash: "x", role: "ANNOTATOR" } }),
    ),
  );
  users = u.map((x) => x.id);
});
afterAll(async () => {
  const { getDb } = await import("@concord/db");
  await getDb().$disconnect();
  await t.drop();
});

beforeEach(async () => {
  await t.db.dataset.deleteMany();
  await t.db.user.updateMany({ data: { pausedAt: null, pausedReason: null } });
  const ds = await t.db.dataset.create({
    data: {
      slug: `ds-${seq++}`,
      name: "DS",
      source: "SYNTHETIC",
      taxonomy: TAXONOMY,
      minVotes: 2,
      maxVotes: 5,
      goldRate: 0.1,
      // Every gold face here is a check (none kept back as a guideline example).
      guideExamples: 0,
    },
  });
  datasetId = ds.id;
  await t.db.image.createMany({
    data: Array.from({ length: 6 }, (_, i) => ({
      datasetId,
      split: "TRAIN" as const,
      externalId: `img-${i}`,
      sha256: String(i).padStart(64, "0"),
      phash: String(i).padStart(16, "0"),
      pixels: new Uint8Array(48 * 48).fill(i * 40),
    })),
  });
  images = (await t.db.image.findMany({ where: { datasetId }, orderBy: { externalId: "asc" } })).map(
    (i) => i.id,
  );
});

const vote = (u: number, img: number, label = "happiness") =>
  t.db.vote.create({ data: { annotatorId: users[u]!, imageId: images[img]!, label } });

describe("findNextTask", () => {
  it("serves a PNG face and leases it; never an image the annotator voted on or already holds", async () => {
    await vote(0, 0);
    const first = await assign.findNextTask(users[0]!, { random: never });
    expect(first?.image).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect(first?.imageId).not.toBe(images[0]);
    const second = await assign.findNextTask(users[0]!, { random: never });
    expect(second?.imageId).not.toBe(first?.imageId); // prefetch gets a different face
    expect(await t.db.taskLease.count({ where: { annotatorId: users[0]! } })).toBe(2);
  });

  it("finishes started images before new ones", async () => {
    await vote(1, 4);
    const task = await assign.findNextTask(users[0]!, { random: never });
    expect(task?.imageId).toBe(images[4]);
  });

  it("below minVotes shares an image among as many annotators as votes are missing; past it, one at a time", async () => {
    await t.db.image.deleteMany({ where: { id: { in: images.slice(1) } } });
    const a = await assign.findNextTask(users[0]!, { random: never });
    const b = await assign.findNextTask(users[1]!, { random: never });
    const c = await assign.findNextTask(users[2]!, { random: never });
    expect([a?.imageId, b?.imageId]).toEqual([images[0], images[0]]);
    expect(c).toBeNull(); // two missing votes, two leases out
    await votes.castVote(users[0]!, { imageId: images[0]!, label: "happiness", requestId: rid() });
    await votes.castVote(users[1]!, { imageId: images[0]!, label: "sadness", requestId: rid() });
    const d = await assign.findNextTask(users[2]!, { random: never });
    expect(d?.imageId).toBe(images[0]); // 1-1 split: still open
    expect(await assign.findNextTask(users[3]!, { random: never })).toBeNull(); // last-needed vote is leased
    await t.db.taskLease.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    // An expired lease frees its slot once pruned (the web prunes every few seconds): until then its row
    // still fills the image's capacity in the tally.
    expect(await assign.findNextTask(users[3]!, { random: never })).toBeNull();
    expect(await assign.pruneExpiredLeases()).toBe(1);
    expect((await assign.findNextTask(users[3]!, { random: never }))?.imageId).toBe(images[0]);
  });

  it("skips images the dynamic-overlap rule calls done, and images at maxVotes", async () => {
    const rule = overlap.overlapRule({ classes: 10, minVotes: 2, maxVotes: 5, targetConfidence: 0.99 });
    expect(rule.doneSignatures).not.toContain("1"); // one vote is below minVotes
    const done = rule.doneSignatures.find((s) => s.split(",").length === 1); // unanimous
    await t.db.image.deleteMany({ where: { id: { in: images.slice(2) } } });
    // image 0: maxVotes reached with a split; image 1: a "done" unanimous signature (or maxVotes if none).
    for (let u = 0; u < 3; u++) await vote(u, 0, TAXONOMY[u]!);
    await t.db.user.createMany({
      data: [5, 6].map((n) => ({
        email: `${n}@t.local`,
        name: `${n}`,
        passwordHash: "x",
        role: "ANNOTATOR" as const,
      })),
    });
    const extra = (await t.db.user.findMany({ where: { email: { in: ["5@t.local", "6@t.local"] } } })).map(
      (u) => u.id,
    );
    for (const id of extra)
      await t.db.vote.create({ data: { annotatorId: id, imageId: images[0]!, label: "anger" } });
    const n = done ? Number(done) : 5;
    for (let u = 0; u < n; u++) {
      await t.db.vote.create({
        data: { annotatorId: [...users, ...extra][u]!, imageId: images[1]!, label: "happiness" },
      });
    }
    expect(await assign.findNextTask(users[3]!, { random: never })).toBeNull();
    await t.db.user.deleteMany({ where: { id: { in: extra } } });
  });

  it("serves many more concurrent requests than the pool has connections (no deadlock on the lock)", async () => {
    // 6 more images: 12 x 2 lease slots for 4 annotators x 3 requests, so every request has an image it may
    // take whatever the interleaving. With the 6 images alone the 12 slots fit the 12 requests only under a
    // perfect matching; concurrent greedy picks legitimately left an annotator whose last free slot was on
    // an image it already held (a null task about 1 run in 4).
    await t.db.image.createMany({
      data: Array.from({ length: 6 }, (_, i) => ({
        datasetId,
        split: "TRAIN" as const,
        externalId: `img-extra-${i}`,
        sha256: String(100 + i).padStart(64, "0"),
        phash: String(100 + i).padStart(16, "0"),
        pixels: new Uint8Array(48 * 48).fill(i * 40),
      })),
    });
    const started = Date.now();
    const tasks = await Promise.all(
      Array.from({ length: 12 }, (_, k) => assign.findNextTask(users[k % 4]!, { datasetId, random: never })),
    );
    expect(tasks.every((task) => task !== null)).toBe(true);
    // Before the fix each request held one connection and waited for a second: 5 s timeouts, then errors.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("concurrent requests never lease an image past its capacity (row locks, no dataset lock)", async () => {
    await t.db.image.deleteMany({ where: { id: { in: images.slice(1) } } });
    // minVotes 2: two leases at most, whatever the interleaving; the other two annotators get nothing.
    const tasks = await Promise.all(users.map((u) => assign.findNextTask(u, { datasetId, random: never })));
    expect(tasks.filter((task) => task?.imageId === images[0]).length).toBe(2);
    expect(tasks.filter((task) => task === null).length).toBe(2);
    expect(await t.db.taskLease.count({ where: { imageId: images[0]! } })).toBe(2);
    // One vote in: one more mandatory vote, and one lease is still out for it.
    const holder = tasks.findIndex((task) => task !== null);
    await votes.castVote(users[holder]!, { imageId: images[0]!, label: "happiness", requestId: rid() });
    const again = await Promise.all(users.map((u) => assign.findNextTask(u, { datasetId, random: never })));
    expect(again.every((task) => task === null)).toBe(true);
    expect(await t.db.taskLease.count({ where: { imageId: images[0]! } })).toBe(1);
  });

  it("mixes gold in at the dataset's rate", async () => {
    await t.db.goldLabel.create({ data: { imageId: images[5]!, label: "fear" } });
    const gold = await assign.findNextTask(users[0]!, { random: () => 0.05 });
    expect(gold?.imageId).toBe(images[5]);
    const normal = await assign.findNextTask(users[1]!, { random: () => 0.5 });
    expect(normal?.imageId).not.toBe(images[5]);
  });
});

describe("castVote", () => {
  it("gives gold feedback; 1 right of 5 warns but cannot pause before the dataset's minimum", async () => {
    await t.db.goldLabel.createMany({ data: images.map((id) => ({ imageId: id, label: "fear" })) });
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(
        await votes.castVote(users[0]!, {
          imageId: images[i]!,
          label: i === 0 ? "fear" : "anger",
          requestId: rid(),
        }),
      );
    }
    expect(results[0]?.gold).toMatchObject({ isCorrect: true, expected: "fear" });
    expect(results[1]?.gold).toMatchObject({ isCorrect: false, expected: "fear" });
    // The old rule paused here (1 of 5 below 60%); the check rule needs 10 answers first (test/checks.test.ts).
    expect(results.every((r) => r.paused === undefined)).toBe(true);
    expect(results[4]?.gold?.standing).toMatchObject({
      answered: 5,
      correct: 1,
      toMinimum: 5,
      status: "warning",
    });
    const user = await t.db.user.findUniqueOrThrow({ where: { id: users[0]! } });
    expect(user.pausedAt).toBeNull();
    await expect(votes.undoLastVote(users[0]!)).rejects.toMatchObject({ status: 409 });
  });

  it("with access: 401 unknown user, 403 wrong role, 403 paused (before any write), then 404, 400, 409", async () => {
    const label = { roles: ["ANNOTATOR"] as const };
    const body = { imageId: images[0]!, label: "neutral", requestId: rid() };
    await expect(votes.castVote("no-such-user", body, label)).rejects.toMatchObject({ status: 401 });
    await expect(votes.castVote(users[0]!, body, { roles: ["ADMIN"] })).rejects.toMatchObject({
      status: 403,
    });
    await t.db.user.update({ where: { id: users[0]! }, data: { pausedAt: new Date(), pausedReason: "why" } });
    await expect(votes.castVote(users[0]!, body, label)).rejects.toMatchObject({
      status: 403,
      details: { paused: true, reason: "why" },
    });
    expect(await t.db.vote.count()).toBe(0);
    await t.db.user.update({ where: { id: users[0]! }, data: { pausedAt: null, pausedReason: null } });
    await expect(votes.castVote(users[0]!, { ...body, imageId: "nope" }, label)).rejects.toMatchObject({
      status: 404,
    });
    await expect(votes.castVote(users[0]!, { ...body, label: "joy" }, label)).rejects.toMatchObject({
      status: 400,
      details: { field: "label" },
    });
    await t.db.taskLease.create({
      data: { imageId: images[0]!, annotatorId: users[0]!, expiresAt: new Date(Date.now() + 60_000) },
    });
    const ok = await votes.castVote(users[0]!, body, label);
    expect(ok).toMatchObject({ status: 201, replayed: false, progress: { today: 1, total: 1 } });
    expect(ok.vote.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(ok.vote.createdAt) - Date.now())).toBeLessThan(60_000);
    expect(await t.db.taskLease.count({ where: { annotatorId: users[0]! } })).toBe(0); // lease released
    await expect(votes.castVote(users[0]!, { ...body, requestId: rid() }, label)).rejects.toMatchObject({
      status: 409,
    });
    const replay = await votes.castVote(users[0]!, body, label);
    expect(replay).toMatchObject({ status: 200, replayed: true, vote: ok.vote, progress: { total: 1 } });
  });

  it("is idempotent by requestId and refuses another user's requestId", async () => {
    const requestId = rid();
    const a = await votes.castVote(users[0]!, { imageId: images[0]!, label: "neutral", requestId });
    const b = await votes.castVote(users[0]!, { imageId: images[0]!, label: "neutral", requestId });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.vote.id).toBe(a.vote.id);
    await expect(
      votes.castVote(users[1]!, { imageId: images[0]!, label: "neutral", requestId }),
    ).rejects.toMatchObject({
      status: 409,
    });
    const concurrent = rid();
    const both = await Promise.all([
      votes.castVote(users[2]!, { imageId: images[1]!, label: "neutral", requestId: concurrent }),
      votes.castVote(users[2]!, { imageId: images[1]!, label: "neutral", requestId: concurrent }),
    ]);
    expect(both[0].vote.id).toBe(both[1].vote.id);
    expect(await t.db.vote.count({ where: { annotatorId: users[2]! } })).toBe(1);
  });
});

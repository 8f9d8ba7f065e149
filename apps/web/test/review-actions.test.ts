// Review actions (issue 12) against a real Postgres: "ask for N more votes" reopens an image and the assignment
// serves it before every other one, as many annotators at once as votes were asked; accept / exclude are rows
// with who and when; every action is revoked without being deleted and the image's history shows it all;
// an excluded face is not served for votes until the exclusion is revoked; a bad body or an unknown image is a
// 400 in the one shape and writes nothing.
import { FERPLUS_LABELS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDatabase;
let assign: typeof import("../src/server/tasks/assign");
let votes: typeof import("../src/server/tasks/votes");
let actions: typeof import("../src/server/review/actions");
let history: typeof import("../src/server/review/history");
let http: typeof import("../src/server/http");
let form: typeof import("../src/server/review/action-form");
let queue: typeof import("../src/server/review/queue");

const TAXONOMY = [...FERPLUS_LABELS];
const never = () => 0.999; // no gold draw
let seq = 0;
let datasetId: string;
let images: string[];
let admin: string;
let annotators: string[];

const vote = (user: string, imageId: string, label: string) =>
  votes.castVote(user, { imageId, label, requestId: `review-${seq++}-request` });
const tally = (imageId: string) =>
  t.db.imageTally.findUniqueOrThrow({
    where: { imageId },
    select: { votes: true, target: true, done: true },
  });

beforeAll(async () => {
  t = await createTestDatabase("concord_web_review");
  process.env.DATABASE_URL = t.url;
  process.env.CONCORD_DB_POOL = "4";
  assign = await import("../src/server/tasks/assign");
  votes = await import("../src/server/tasks/votes");
  actions = await import("../src/server/review/actions");
  history = await import("../src/server/review/history");
  http = await import("../src/server/http");
  form = await import("../src/server/review/action-form");
  queue = await import("../src/server/review/queue");
  const ds = await t.db.dataset.create({
    data: {
      slug: "review",
      name: "Review",
      source: "SYNTHETIC",
      taxonomy: TAXONOMY,
      minVotes: 2,
      maxVotes: 3,
    },
  });
  datasetId = ds.id;
  await t.db.image.createMany({
    data: Array.from({ length: 6 }, (_, i) => ({
      datasetId,
      split: i < 4 ? ("TRAIN" as const) : ("VALID" as const),
      externalId: `img-${i}`,
      sha256: String(i).padStart(64, "0"),
      phash: String(i).padStart(16, "0"),
      pixels: new Uint8Array(48 * 48).fill(i * 10),
    })),
  });
  images = (await t.db.image.findMany({ where: { datasetId }, orderBy: { externalId: "asc" } })).map(
    (i) => i.id,
  );
  admin = (
    await t.db.user.create({
      data: { email: "admin@t.local", name: "Ada Admin", passwordHash: "x", role: "ADMIN" },
    })
  ).id;
  annotators = (
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.db.user.create({ data: { email: `a${i}@t.local`, name: `a${i}`, passwordHash: "x" } }),
      ),
    )
  ).map((u) => u.id);
  // img-0 and img-1: 3 votes (maxVotes: done); img-2: 1 vote, img-3: 2 split votes (open, started); the
  // rest new.
  for (const [k, label] of ["happiness", "happiness", "fear"].entries()) {
    await vote(annotators[k]!, images[0]!, label);
    await vote(annotators[k]!, images[1]!, "sadness");
  }
  await vote(annotators[0]!, images[2]!, "neutral");
  await vote(annotators[0]!, images[3]!, "neutral");
  await vote(annotators[1]!, images[3]!, "fear");
  await t.db.goldLabel.create({ data: { imageId: images[5]!, label: "anger" } });
});
afterAll(async () => {
  const { getDb } = await import("@concord/db");
  await getDb().$disconnect();
  await t.drop();
});

const body = (raw: unknown) =>
  http.parseJson(
    new Request("http://x/api/images/actions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(raw),
    }),
    form.ZImageActionBody,
  );

describe("ask for N more votes", () => {
  it("serves the image before every other one, to as many annotators at once as votes were asked", async () => {
    expect(await tally(images[2]!)).toEqual({ votes: 1, target: null, done: false });
    expect(await tally(images[3]!)).toEqual({ votes: 2, target: null, done: false });
    // Before: the open image with the most votes (img-3) comes first.
    expect((await assign.findNextTask(annotators[5]!, { datasetId, random: never }))?.imageId).toBe(
      images[3],
    );
    await t.db.taskLease.deleteMany();

    const out = await actions.applyImageActions(
      admin,
      await body({ action: "more-votes", imageIds: [images[2]], votes: 2 }),
    );
    expect(out).toEqual({ action: "more-votes", created: 1, skipped: [] });
    expect(await tally(images[2]!)).toEqual({ votes: 1, target: 3, done: false });

    // Two votes missing: two annotators hold img-2 at once (leases, no vote yet), the third one gets the next
    // image in line. One after another: concurrent pickers may skip an image another one has locked.
    const served = [];
    for (const k of [3, 4, 5])
      served.push(await assign.findNextTask(annotators[k]!, { datasetId, random: never }));
    expect(served.map((s) => s?.imageId).sort()).toEqual([images[2], images[2], images[3]].sort());
    for (const [i, s] of served.entries())
      if (s?.imageId === images[2]) await vote(annotators[3 + i]!, images[2]!, "happiness");
    expect(await tally(images[2]!)).toEqual({ votes: 3, target: 3, done: true });
    await t.db.taskLease.deleteMany();
  });

  it("is undone by revoking: the target drops and the image is finished again", async () => {
    await actions.applyImageActions(
      admin,
      await body({ action: "more-votes", imageIds: [images[1]], votes: 3 }),
    );
    expect(await tally(images[1]!)).toEqual({ votes: 3, target: 6, done: false });
    expect((await assign.findNextTask(annotators[6]!, { datasetId, random: never }))?.imageId).toBe(
      images[1],
    );
    await t.db.taskLease.deleteMany();
    const [action] = (await history.getImageHistory(images[1]!))!.actions;
    expect(await actions.revokeImageAction(admin, action!.id)).toEqual({ revoked: action!.id });
    expect(await tally(images[1]!)).toEqual({ votes: 3, target: null, done: true });
    expect((await assign.findNextTask(annotators[6]!, { datasetId, random: never }))?.imageId).not.toBe(
      images[1],
    );
    await t.db.taskLease.deleteMany();
    // Revoking twice, or something unknown, changes nothing.
    await expect(actions.revokeImageAction(admin, action!.id)).rejects.toMatchObject({ status: 409 });
    await expect(actions.revokeImageAction(admin, "nope")).rejects.toMatchObject({ status: 404 });
  });
});

describe("accept and exclude", () => {
  it("records who and when, skips an image already accepted, and shows everything in the history", async () => {
    const accepted = await actions.applyImageActions(
      admin,
      await body({ action: "accept", imageIds: [images[0], images[2]] }),
    );
    expect(accepted).toEqual({ action: "accept", created: 2, skipped: [] });
    const again = await actions.applyImageActions(
      admin,
      await body({ action: "accept", imageIds: [images[0]] }),
    );
    expect(again).toEqual({ action: "accept", created: 0, skipped: [images[0]] });
    await actions.applyImageActions(admin, await body({ action: "exclude", imageIds: [images[0]] }));

    const h = (await history.getImageHistory(images[0]!))!;
    expect(h.datasetName).toBe("Review");
    expect(h.split).toBe("TRAIN");
    expect(h.counts[1]).toBe(2); // happiness
    expect(h.counts[6]).toBe(1); // fear
    expect(h.web).toEqual(h.counts);
    expect(TAXONOMY[h.crowdLabel]).toBe("happiness");
    expect(h.prediction).toBeNull();
    expect(h).toMatchObject({ accepted: true, excluded: true, done: true, target: null });
    expect(h.actions.map((a) => a.kind)).toEqual(["EXCLUDE", "ACCEPT"]);
    expect(h.actions[1]).toMatchObject({ label: "happiness", createdBy: "Ada Admin", revokedAt: null });
    expect(Date.now() - Date.parse(h.actions[0]!.createdAt)).toBeLessThan(60_000);

    await actions.revokeImageAction(admin, h.actions[0]!.id);
    const after = (await history.getImageHistory(images[0]!))!;
    expect(after.excluded).toBe(false);
    expect(after.actions[0]).toMatchObject({ kind: "EXCLUDE", revokedBy: "Ada Admin" });
    expect(after.actions[0]!.revokedAt).not.toBeNull();
    // Excluded again after the revoke: a new row, the old one stays in the history.
    await actions.applyImageActions(admin, await body({ action: "exclude", imageIds: [images[0]] }));
    expect(
      (await history.getImageHistory(images[0]!))!.actions.filter((a) => a.kind === "EXCLUDE"),
    ).toHaveLength(2);
  });
});

describe("an excluded face", () => {
  it("is no longer served for votes, and is served again once the exclusion is revoked", async () => {
    const next = async () => {
      const task = await assign.findNextTask(annotators[7]!, { datasetId, random: never });
      await t.db.taskLease.deleteMany();
      return task?.imageId;
    };
    const first = await next();
    expect(first).toBeDefined();
    await actions.applyImageActions(admin, await body({ action: "exclude", imageIds: [first] }));
    expect(await t.db.imageTally.findUniqueOrThrow({ where: { imageId: first! } })).toMatchObject({
      excluded: true,
      done: false,
    });
    const instead = await next();
    expect(instead).not.toBe(first);
    const exclusion = (await history.getImageHistory(first!))!.actions.find((a) => a.kind === "EXCLUDE")!;
    await actions.revokeImageAction(admin, exclusion.id);
    expect((await t.db.imageTally.findUniqueOrThrow({ where: { imageId: first! } })).excluded).toBe(false);
    expect(await next()).toBe(first);
  });
});

describe("bad input", () => {
  const snapshotOf = async () => ({
    actions: await t.db.imageAction.count(),
    tallies: await t.db.imageTally.findMany({ orderBy: { imageId: "asc" } }),
  });

  it("answers 400 in the one shape and changes nothing", async () => {
    const before = await snapshotOf();
    const refused = async (raw: unknown, field: string, message: RegExp) => {
      const error = await body(raw)
        .then((b) => actions.applyImageActions(admin, b))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(http.HttpError);
      const e = error as InstanceType<typeof http.HttpError>;
      expect(e.status).toBe(400);
      expect(e.details).toMatchObject({ field });
      expect(e.message).toMatch(message);
    };
    await refused(
      { action: "delete", imageIds: [images[0]] },
      "action",
      /^action: one of more-votes, accept, exclude/,
    );
    await refused({ action: "more-votes", imageIds: [images[0]] }, "votes", /^votes: required/);
    await refused({ action: "more-votes", imageIds: [images[0]], votes: 0 }, "votes", /^votes: >= 1/);
    await refused(
      { action: "more-votes", imageIds: [images[0]], votes: 1.5 },
      "votes",
      /^votes: a whole number/,
    );
    await refused({ action: "accept", imageIds: [images[0]], votes: 2 }, "votes", /^votes: only with/);
    await refused({ action: "accept", imageIds: [] }, "imageIds", /^imageIds: at least one image/);
    await refused({ action: "accept", imageIds: "x" }, "imageIds", /^imageIds: /);
    // Server checks: an unknown image (even beside known ones), a gold image asked for votes.
    await refused(
      { action: "exclude", imageIds: [images[3], "missing-1", "missing-2"] },
      "imageIds",
      /unknown image "missing-1" \(\+1 more\)/,
    );
    await refused(
      { action: "more-votes", imageIds: [images[4], images[5]], votes: 2 },
      "imageIds",
      /gold check question/,
    );
    const malformed = await http
      .parseJson(
        new Request("http://x/", {
          method: "POST",
          body: "{",
          headers: { "content-type": "application/json" },
        }),
        form.ZImageActionBody,
      )
      .catch((e: unknown) => e);
    expect(malformed).toMatchObject({ status: 400, message: "body: malformed JSON" });
    expect(await snapshotOf()).toEqual(before);
  });
});

describe("the review queue", () => {
  it("ranks the voted faces with a prediction, filters by class pair and split, and leaves out handled ones", async () => {
    // img-4 (VALID) has only imported votes, from two sources: surprise 3 + 1, fear 1.
    await t.db.importedTally.createMany({
      data: [
        { imageId: images[4]!, source: "a", counts: [0, 0, 3, 0, 0, 0, 0, 0, 0, 0] },
        { imageId: images[4]!, source: "b", counts: [0, 0, 1, 0, 0, 0, 1, 0, 0, 0] },
      ],
    });
    const empty = await queue.getReviewQueue(datasetId);
    expect(empty).toMatchObject({ hasPredictions: false, candidates: 0, suspects: [] });

    const run = await t.db.trainingRun.create({
      data: { datasetId, config: {}, seed: 1, status: "SUCCEEDED" },
    });
    const set = await t.db.predictionSet.create({
      data: {
        datasetId,
        runId: run.id,
        status: "SUCCEEDED",
        scheme: "cross-fit",
        folds: 2,
        finishedAt: new Date(),
      },
    });
    const probs = (top: number, p: number) =>
      Array.from({ length: 10 }, (_, c) => (c === top ? p : c < 8 ? (1 - p) / 7 : 0));
    // img-1 (sadness x3): the model agrees; img-3 (neutral 1, fear 1): the model says fear; img-4: fear too.
    // img-0 (accepted, excluded again) and img-2 (accepted) are handled; img-5 is gold.
    const tops: Record<number, number> = { 0: 6, 1: 3, 2: 6, 3: 6, 4: 6, 5: 6 };
    await t.db.prediction.createMany({
      data: images.map((id, i) => ({
        setId: set.id,
        imageId: id,
        probs: probs(tops[i]!, 0.9),
        outOfSample: true,
      })),
    });
    // An in-sample row of a newer set does not replace the out-of-sample one.
    const newer = await t.db.predictionSet.create({
      data: {
        datasetId,
        runId: run.id,
        status: "SUCCEEDED",
        scheme: "in-sample",
        finishedAt: new Date(Date.now() + 1000),
      },
    });
    await t.db.prediction.create({
      data: { setId: newer.id, imageId: images[1]!, probs: probs(0, 0.99), outOfSample: false },
    });

    const q = await queue.getReviewQueue(datasetId);
    expect(q).toMatchObject({
      hasPredictions: true,
      candidates: 3,
      matching: 3,
      handled: { accepted: 2, excluded: 1 },
    });
    expect(q.suspects.map((s) => s.imageId).sort()).toEqual([images[1], images[3], images[4]].sort());
    const byId = new Map(q.suspects.map((s) => [s.imageId, s]));
    expect(byId.get(images[4]!)).toMatchObject({
      crowdLabel: "surprise",
      modelLabel: "fear",
      split: "VALID",
    });
    expect(byId.get(images[4]!)?.counts).toEqual([0, 0, 4, 0, 0, 0, 1, 0, 0, 0]);
    expect(byId.get(images[1]!)).toMatchObject({ crowdLabel: "sadness", modelLabel: "sadness" });
    expect(byId.get(images[1]!)?.modelConfidence).toBeCloseTo(0.9, 6);
    // The model contradicting the crowd ranks above the model confirming it.
    expect(byId.get(images[1]!)!.score).toBeLessThan(byId.get(images[4]!)!.score);
    expect(q.suspects.at(-1)?.imageId).toBe(images[1]);
    expect(q.pairs).toEqual([
      { crowd: "neutral", model: "fear", n: 1 },
      { crowd: "surprise", model: "fear", n: 1 },
    ]);

    const pair = await queue.getReviewQueue(datasetId, { crowd: "surprise", model: "fear" });
    expect(pair.suspects.map((s) => s.imageId)).toEqual([images[4]]);
    expect((await queue.getReviewQueue(datasetId, { split: "TRAIN" })).matching).toBe(2);
    // Asked for more votes: still listed, with the votes pending.
    await actions.applyImageActions(
      admin,
      await body({ action: "more-votes", imageIds: [images[3]], votes: 2 }),
    );
    const pending = await queue.getReviewQueue(datasetId, { crowd: "neutral" });
    expect(pending.suspects).toMatchObject([{ imageId: images[3], pendingVotes: 2 }]);
  });
});

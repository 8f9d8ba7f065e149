// Model-assisted stopping (issue 12) against a real Postgres: refused until the dataset has predictions; with
// the model prior, a face whose first votes agree with its out-of-sample prediction stops after minVotes
// where the panel rule asks for more, a disagreeing face stays open; the vote trigger applies the precomputed
// next-vote verdict with no web code in between; a new prediction set is picked up by the next assignment;
// back to the panel prior clears every model verdict.
import { FERPLUS_LABELS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDatabase;
let assign: typeof import("../src/server/tasks/assign");
let votes: typeof import("../src/server/tasks/votes");
let stopping: typeof import("../src/server/tasks/model-stopping");
let overlap: typeof import("../src/server/tasks/overlap");

const TAXONOMY = [...FERPLUS_LABELS]; // 10 vote classes; the model predicts the first 8
const C = TAXONOMY.length;
const HAPPY = [0.03, 0.95, 0.004, 0.004, 0.004, 0.004, 0.002, 0.002, 0, 0];
const POLICY = { minVotes: 2, maxVotes: 10, targetConfidence: 0.99 };
const never = () => 0.999;
let seq = 0;
let datasetId: string;
let runId: string;
let users: string[];
const faces: Record<"agree" | "disagree" | "trigger", string> = { agree: "", disagree: "", trigger: "" };

const counts = (o: Record<number, number>) => Array.from({ length: C }, (_, c) => o[c] ?? 0);
const vote = (user: string, imageId: string, label: string) =>
  votes.castVote(user, { imageId, label, requestId: `stop-${seq++}-request` });
const tally = (imageId: string) =>
  t.db.imageTally.findUniqueOrThrow({
    where: { imageId },
    select: { votes: true, done: true, modelDone: true, modelStopOn: true },
  });

async function predictionSet(finishedAt: Date) {
  const set = await t.db.predictionSet.create({
    data: { datasetId, runId, status: "SUCCEEDED", scheme: "cross-fit", folds: 2, finishedAt },
  });
  const images = await t.db.image.findMany({ where: { datasetId }, select: { id: true } });
  await t.db.prediction.createMany({
    data: images.map((i) => ({ setId: set.id, imageId: i.id, probs: HAPPY, outOfSample: true })),
  });
  return set.id;
}

beforeAll(async () => {
  t = await createTestDatabase("concord_web_stopping");
  process.env.DATABASE_URL = t.url;
  process.env.CONCORD_DB_POOL = "4";
  assign = await import("../src/server/tasks/assign");
  votes = await import("../src/server/tasks/votes");
  stopping = await import("../src/server/tasks/model-stopping");
  overlap = await import("../src/server/tasks/overlap");
  const ds = await t.db.dataset.create({
    data: { slug: "stop", name: "Stop", source: "SYNTHETIC", taxonomy: TAXONOMY, goldRate: 0, ...POLICY },
  });
  datasetId = ds.id;
  // 40 faces with complete imported panels to fit the model prior on (most agree with the model, some not),
  // then three faces nobody has voted on.
  await t.db.image.createMany({
    data: Array.from({ length: 43 }, (_, i) => ({
      datasetId,
      split: "TRAIN" as const,
      externalId: `f${String(i).padStart(2, "0")}`,
      sha256: String(i).padStart(64, "0"),
      phash: String(i).padStart(16, "0"),
      pixels: new Uint8Array(48 * 48).fill(i),
    })),
  });
  const images = await t.db.image.findMany({ where: { datasetId }, orderBy: { externalId: "asc" } });
  await t.db.importedTally.createMany({
    data: images.slice(0, 40).map((im, i) => ({
      imageId: im.id,
      source: "panel",
      counts: i < 4 ? counts({ 3: 7, 1: 3 }) : i % 2 ? counts({ 1: 8, 0: 2 }) : counts({ 1: 10 }),
    })),
  });
  [faces.agree, faces.disagree, faces.trigger] = images.slice(40).map((i) => i.id) as [
    string,
    string,
    string,
  ];
  users = (
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t.db.user.create({ data: { email: `s${i}@t.local`, name: `s${i}`, passwordHash: "x" } }),
      ),
    )
  ).map((u) => u.id);
  const admin = await t.db.user.create({
    data: { email: "admin@t.local", name: "admin", passwordHash: "x", role: "ADMIN" },
  });
  runId = (
    await t.db.trainingRun.create({
      data: { datasetId, config: {}, seed: 1, status: "SUCCEEDED", createdById: admin.id },
    })
  ).id;
});
afterAll(async () => {
  const { getDb } = await import("@concord/db");
  await getDb().$disconnect();
  await t.drop();
});

describe("model-assisted stopping", () => {
  it("is refused until the dataset has predictions, and changes nothing", async () => {
    const error = await stopping.setStoppingPrior(datasetId, "MODEL").catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, details: { field: "stoppingPrior" } });
    expect((error as Error).message).toMatch(/^stoppingPrior: no predictions for this dataset yet/);
    expect(await stopping.getStoppingStatus(datasetId)).toMatchObject({
      chosen: "PANEL",
      inUse: "PANEL",
      newestSetId: null,
      modelImages: 0,
    });
    await expect(stopping.setStoppingPrior("nope", "PANEL")).rejects.toMatchObject({ status: 404 });
  });

  it("stops a face whose first votes agree with the model, and keeps a disagreeing one open", async () => {
    const setId = await predictionSet(new Date(Date.now() - 60_000));
    expect(await stopping.getStoppingStatus(datasetId)).toMatchObject({ inUse: "PANEL", newestSetId: setId });
    const status = await stopping.setStoppingPrior(datasetId, "MODEL");
    // Every face open to web votes gets a verdict (the 40 imported panels are not web votes).
    expect(status).toMatchObject({ chosen: "MODEL", inUse: "MODEL", setId, modelImages: 43 });
    // The prior from the 40 complete panels, the model (8 emotions) calibrated on the 40 voted faces.
    expect(status.fit).toMatchObject({ panels: 40, items: 40, calibration: { numModelClasses: 8 } });
    expect(status.fit?.policy).toEqual(POLICY);

    // One happiness vote: not done yet (minVotes 2), but a second vote the complete panels about happiness
    // contain (happiness, neutral) would finish it; a fear vote would not.
    await vote(users[0]!, faces.agree, "happiness");
    const one = await tally(faces.agree);
    expect(one).toMatchObject({ votes: 1, done: false, modelDone: false });
    expect(one.modelStopOn).toEqual(expect.arrayContaining(["happiness", "neutral"]));
    expect(one.modelStopOn).not.toContain("fear");
    await vote(users[1]!, faces.agree, "happiness");
    expect(await tally(faces.agree)).toMatchObject({ votes: 2, done: true, modelDone: true });
    // The panel rule asks for more on 2 agreeing votes.
    expect(overlap.overlapRule({ classes: C, ...POLICY }).doneSignatures).not.toContain("2");

    await vote(users[0]!, faces.disagree, "fear");
    await vote(users[1]!, faces.disagree, "fear");
    expect(await tally(faces.disagree)).toMatchObject({ votes: 2, done: false, modelDone: false });
    // The disagreeing face is served first (most votes among the open ones); the agreeing one never is.
    const served: string[] = [];
    for (const u of users.slice(2, 5)) {
      const task = await assign.findNextTask(u, { datasetId, random: never });
      if (task) served.push(task.imageId);
    }
    expect(served[0]).toBe(faces.disagree);
    expect(served).not.toContain(faces.agree);
    await t.db.taskLease.deleteMany();
  });

  it("applies the precomputed verdict in the vote trigger, with no web code after the vote", async () => {
    await vote(users[0]!, faces.trigger, "happiness");
    expect((await tally(faces.trigger)).modelStopOn).toContain("happiness");
    // A vote written straight into the table (not through castVote): the trigger alone finishes the face and
    // empties the list until the web recomputes it.
    await t.db.vote.create({ data: { imageId: faces.trigger, annotatorId: users[1]!, label: "happiness" } });
    expect(await tally(faces.trigger)).toEqual({ votes: 2, done: true, modelDone: true, modelStopOn: [] });
    // Undo recomputes (one happiness vote left).
    await votes.undoLastVote(users[0]!); // users[0]'s last vote is on this face
    expect(await tally(faces.trigger)).toMatchObject({ votes: 1, done: false });
    expect((await tally(faces.trigger)).modelStopOn).toContain("happiness");
  });

  it("picks up a newer prediction set at the next assignment, and clears everything on the panel prior", async () => {
    const newer = await predictionSet(new Date());
    await assign.findNextTask(users[4]!, { datasetId, random: never });
    await stopping.syncModelStopping(datasetId); // the background sync the assignment started
    expect(await stopping.getStoppingStatus(datasetId)).toMatchObject({ inUse: "MODEL", setId: newer });
    await t.db.taskLease.deleteMany();

    const status = await stopping.setStoppingPrior(datasetId, "PANEL");
    expect(status).toMatchObject({ chosen: "PANEL", inUse: "PANEL", setId: null, fit: null, modelImages: 0 });
    // 2 agreeing votes are not enough under the panel rule: the face is open again.
    expect(await tally(faces.agree)).toEqual({ votes: 2, done: false, modelDone: null, modelStopOn: [] });
  });
});

// Integration: the prediction routes (POST/GET /api/predictions, cancel, resume, the export) called as
// Next calls them, with a signed session cookie, against a fresh migrated Postgres and the real Redis (own
// queue prefix). A refused body answers the one 400 shape and writes nothing: no row, no job.
import { randomBytes } from "node:crypto";
import { FERPLUS_LABELS } from "@concord/crowd/labels";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { createJobsClient, predictJobId, type TJobsClient } from "@concord/jobs";
import { NextRequest } from "next/server";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDatabase;
const ids: Record<string, string> = {};
const g = globalThis as unknown as { concordDb?: unknown; concordJobs?: TJobsClient };
const SECRET = randomBytes(32).toString("hex");
const prefix = `webpred-${randomBytes(4).toString("hex")}`;
const cookies: Record<string, string> = {};

// Response bodies are read field by field; a missing field fails the assertion that reads it.
// biome-ignore lint/suspicious/noExplicitAny: test-side JSON
type TJson = Record<string, any>;
type THandler = (req: NextRequest, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function call(
  handler: THandler,
  as: "admin" | "researcher",
  path: string,
  init: { method?: string; body?: string; params?: Record<string, string> } = {},
) {
  const req = new NextRequest(`http://localhost:3000${path}`, {
    method: init.method ?? "GET",
    body: init.body,
    headers: {
      cookie: `next-auth.session-token=${cookies[as]}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
  });
  const res = await handler(req, { params: Promise.resolve(init.params ?? {}) });
  return { status: res.status, res, json: () => res.json() as Promise<TJson> };
}

const routes = {
  predictions: () => import("../src/app/api/predictions/route"),
  one: () => import("../src/app/api/predictions/[id]/route"),
  cancel: () => import("../src/app/api/predictions/[id]/cancel/route"),
  resume: () => import("../src/app/api/predictions/[id]/resume/route"),
  exportRoute: () => import("../src/app/api/exports/predictions/route"),
};

const post = async (body: unknown, as: "admin" | "researcher" = "admin") =>
  call((await routes.predictions()).POST as THandler, as, "/api/predictions", {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function predictJobs() {
  const q = g.concordJobs!.queue("train");
  return (await q.getJobs(["waiting", "delayed", "prioritized", "completed", "failed"])).filter(
    (j) => j.name === "predict",
  );
}

beforeAll(async () => {
  t = await createTestDatabase("concord_web_predictions");
  process.env.DATABASE_URL = t.url;
  process.env.NEXTAUTH_SECRET = SECRET;
  g.concordDb = t.db;
  g.concordJobs = createJobsClient({ prefix });
  const db = t.db;
  const ds = await db.dataset.create({
    data: { slug: "fer", name: "FER", source: "FERPLUS", taxonomy: [...FERPLUS_LABELS] },
  });
  ids.ds = ds.id;
  ids.other = (
    await db.dataset.create({ data: { slug: "abc", name: "ABC", source: "SYNTHETIC", taxonomy: ["a", "b"] } })
  ).id;
  const splits = ["TRAIN", "TRAIN", "VALID", "TEST"] as const;
  for (const [n, split] of splits.entries()) {
    ids[`i${n}`] = (
      await db.image.create({
        data: {
          datasetId: ds.id,
          split,
          externalId: `fer000000${n}.png`,
          sha256: String(n).padStart(64, "0"),
          phash: "0".repeat(16),
          pixels: new Uint8Array(48 * 48).fill(n),
        },
      })
    ).id;
  }
  for (const role of ["ADMIN", "RESEARCHER"] as const) {
    const u = await db.user.create({
      data: { email: `${role}@t.local`, name: role.toLowerCase(), passwordHash: "x", role },
    });
    ids[role] = u.id;
    cookies[role.toLowerCase()] = await encode({ token: { id: u.id, sub: u.id, role }, secret: SECRET });
  }
  const run = (status: "SUCCEEDED" | "RUNNING", artifactPath: string | null) =>
    db.trainingRun.create({
      data: {
        datasetId: ds.id,
        seed: 1,
        status,
        artifactPath,
        config: { datasetId: ds.id, backend: "auto" },
      },
    });
  ids.run = (await run("SUCCEEDED", "/artifacts/runs/x/model")).id;
  ids.running = (await run("RUNNING", null)).id;
});

afterAll(async () => {
  for (const q of ["train", "train-gpu"] as const) await g.concordJobs?.queue(q).obliterate({ force: true });
  await g.concordJobs?.close();
  await t?.drop();
});

describe("POST /api/predictions", () => {
  it("refuses bad bodies with the one 400 shape, naming the field, and changes nothing", async () => {
    const cases: [unknown, string, RegExp][] = [
      [{}, "runId", /runId/],
      ["{runId:", "body", /malformed JSON/],
      [{ runId: "nope" }, "runId", /no such run/],
      [{ runId: ids.running }, "runId", /no saved model \(it is running\)/],
      [{ runId: ids.run, scheme: "leave-one-out" }, "scheme", /in-sample, cross-fit/],
      [{ runId: ids.run, folds: 1 }, "folds", />= 2/],
      [{ runId: ids.run, folds: 21 }, "folds", /<= 20/],
      [{ runId: ids.run, datasetId: "nope" }, "datasetId", /no such dataset/],
      [{ runId: ids.run, datasetId: ids.other, scheme: "in-sample" }, "datasetId", /taxonomy differs/],
    ];
    for (const [body, field, message] of cases) {
      const r = await post(body);
      const json = await r.json();
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(json.details.field).toBe(field);
      expect(json.error).toMatch(message);
      expect(json.details.issues[0]).toEqual({ field, message: json.error });
    }
    expect((await post({ runId: ids.run }, "researcher")).status).toBe(403);
    expect(await t.db.predictionSet.count()).toBe(0);
    expect(await predictJobs()).toHaveLength(0);
  });

  it("launches (QUEUED + predict job on the run's queue), lists, polls, cancels and resumes a set", async () => {
    const r = await post({ runId: ids.run });
    expect(r.status).toBe(201);
    const { id, jobId } = await r.json();
    expect(jobId).toBe(predictJobId(id));
    const job = await g.concordJobs!.queue("train").getJob(jobId);
    expect(job?.data).toEqual({ setId: id });
    expect(await t.db.predictionSet.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "QUEUED",
      scheme: "cross-fit",
      folds: 5,
      datasetId: ids.ds,
      runId: ids.run,
      createdById: ids.ADMIN,
      jobId,
      // The run's stored config has no ttaEval (it predates the lever): its set predicts the face alone.
      tta: false,
    });
    const list = await call(
      (await routes.predictions()).GET as THandler,
      "researcher",
      `/api/predictions?runId=${ids.run}`,
    );
    expect((await list.json()).sets.map((s: { id: string }) => s.id)).toEqual([id]);
    const one = await call((await routes.one()).GET as THandler, "researcher", `/api/predictions/${id}`, {
      params: { id },
    });
    expect(await one.json()).toMatchObject({ id, status: "QUEUED", labels: FERPLUS_LABELS.slice(0, 8) });

    const cancel = await call(
      (await routes.cancel()).POST as THandler,
      "admin",
      `/api/predictions/${id}/cancel`,
      {
        method: "POST",
        params: { id },
      },
    );
    expect(await cancel.json()).toMatchObject({
      status: "CANCELLED",
      cancelRequested: true,
      broadcast: true,
    });
    expect(await g.concordJobs!.queue("train").getJob(jobId)).toBeUndefined();
    const again = await call(
      (await routes.cancel()).POST as THandler,
      "admin",
      `/api/predictions/${id}/cancel`,
      {
        method: "POST",
        params: { id },
      },
    );
    expect(again.status).toBe(409);

    const resume = await call(
      (await routes.resume()).POST as THandler,
      "admin",
      `/api/predictions/${id}/resume`,
      {
        method: "POST",
        params: { id },
      },
    );
    expect(resume.status).toBe(200);
    expect(await t.db.predictionSet.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "QUEUED",
      cancelRequested: false,
      finishedAt: null,
    });
    expect(await (await g.concordJobs!.queue("train").getJob(jobId))?.getState()).toBe("waiting");
    await t.db.predictionSet.delete({ where: { id } });
    await g.concordJobs!.queue("train").obliterate({ force: true });
  });

  it("a run that selected with mirror TTA gets a set that predicts with it, shown in the set's view", async () => {
    const run = await t.db.trainingRun.create({
      data: {
        datasetId: ids.ds!,
        seed: 1,
        status: "SUCCEEDED",
        artifactPath: "/artifacts/runs/y/model",
        config: { datasetId: ids.ds!, backend: "auto", ttaEval: true },
      },
    });
    const r = await post({ runId: run.id, scheme: "in-sample" });
    expect(r.status).toBe(201);
    const { id } = await r.json();
    expect((await t.db.predictionSet.findUniqueOrThrow({ where: { id } })).tta).toBe(true);
    const one = await call((await routes.one()).GET as THandler, "researcher", `/api/predictions/${id}`, {
      params: { id },
    });
    expect(await one.json()).toMatchObject({ id, tta: true });
    await t.db.predictionSet.delete({ where: { id } });
    await t.db.trainingRun.delete({ where: { id: run.id } });
    await g.concordJobs!.queue("train").obliterate({ force: true });
  });

  it("answers 503 and leaves no set behind when Redis is down", async () => {
    const live = g.concordJobs;
    g.concordJobs = createJobsClient({ redisUrl: "redis://127.0.0.1:1", prefix: "never" });
    try {
      const r = await post({ runId: ids.run, scheme: "in-sample" });
      expect(r.status).toBe(503);
      expect(await t.db.predictionSet.count()).toBe(0);
    } finally {
      await g.concordJobs.close();
      g.concordJobs = live;
    }
  });
});

describe("GET /api/exports/predictions", () => {
  it("exports a set as CSV (the replay's format: externalId, split, p_ columns) and JSON", async () => {
    const set = await t.db.predictionSet.create({
      data: { datasetId: ids.ds!, runId: ids.run!, scheme: "cross-fit", folds: 2, status: "SUCCEEDED" },
    });
    // Taxonomy order (10 labels); the model never predicts unknown / not-a-face.
    const probs = (hot: number) => FERPLUS_LABELS.map((_, k) => (k === hot ? 0.65 : k < 8 ? 0.05 : 0));
    const rows = [
      { imageId: ids.i0!, probs: probs(1), outOfSample: true, fold: 1 },
      { imageId: ids.i1!, probs: probs(6), outOfSample: true, fold: 2 },
      { imageId: ids.i2!, probs: probs(0), outOfSample: true, fold: null },
      { imageId: ids.i3!, probs: probs(2), outOfSample: true, fold: null },
    ];
    await t.db.prediction.createMany({ data: rows.map((r) => ({ setId: set.id, ...r })) });
    const get = async (query: string) =>
      call((await routes.exportRoute()).GET as THandler, "researcher", `/api/exports/predictions?${query}`);

    const csv = await get(`set=${set.id}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.res.headers.get("content-disposition")).toContain(
      `fer-predictions-cross-fit-${set.id.slice(-6)}.csv`,
    );
    const lines = (await csv.res.text()).trim().split("\r\n");
    expect(lines[0]).toBe(
      "image,split,model,p_neutral,p_happiness,p_surprise,p_sadness,p_anger,p_disgust,p_fear,p_contempt,out_of_sample,tta",
    );
    const byImage = new Map(lines.slice(1).map((l) => [l.split(",")[0], l]));
    expect(byImage.size).toBe(4);
    expect(byImage.get("fer0000000.png")).toBe(
      `fer0000000.png,TRAIN,run-${ids.run}-fold-1,0.05,0.65,0.05,0.05,0.05,0.05,0.05,0.05,true,false`,
    );
    expect(byImage.get("fer0000002.png")).toBe(
      `fer0000002.png,VALID,run-${ids.run},0.65,0.05,0.05,0.05,0.05,0.05,0.05,0.05,true,false`,
    );

    const json = await (await get(`set=${set.id}&format=json`)).res.json();
    expect(json.labels).toEqual(FERPLUS_LABELS.slice(0, 8));
    expect(json.set).toMatchObject({ id: set.id, scheme: "cross-fit", folds: 2, tta: false });
    expect(json.items).toHaveLength(4);
    expect(json.items.find((i: { image: string }) => i.image === "fer0000001.png")).toMatchObject({
      split: "TRAIN",
      model: `run-${ids.run}-fold-2`,
      outOfSample: true,
    });

    // A set made with mirror TTA says so on every CSV row, as its JSON does once.
    await t.db.predictionSet.update({ where: { id: set.id }, data: { tta: true } });
    const tta = (await (await get(`set=${set.id}&format=csv`)).res.text()).trim().split("\r\n").slice(1);
    expect(tta).toHaveLength(4);
    for (const line of tta) expect(line.endsWith(",true,true")).toBe(true);

    const missing = await get("format=csv");
    expect(missing.status).toBe(400);
    expect((await missing.json()).details.field).toBe("set");
    const badFormat = await get(`set=${set.id}&format=xlsx`);
    expect((await badFormat.json()).details.field).toBe("format");
    expect((await get("set=nope")).status).toBe(404);
    await t.db.predictionSet.update({ where: { id: set.id }, data: { status: "RUNNING" } });
    expect((await get(`set=${set.id}`)).status).toBe(409);
  });
});

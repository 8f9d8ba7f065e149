// Operator HTTP endpoints and the Postgres-vs-queue reconciler, in-process against the running services.

import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { createJobsClient, predictJobId, type TJobsClient, trainJobId } from "@concord/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../src/env";
import { createHttpApp, listen } from "../src/http";
import { reconcileRuns, reconcileSnapshotJobs } from "../src/reconcile";
import { createFixture, type TFixture } from "./fixtures";
import { createRun } from "./harness";

const TOKEN = "board-token-for-tests";
let t: TTestDatabase;
let fx: TFixture;
let jobs: TJobsClient;
let server: Server;
let base = "";

beforeAll(async () => {
  t = await createTestDatabase("concord_worker_http");
  fx = await createFixture(t.db, { TRAIN: 4, VALID: 2, TEST: 0 });
  const prefix = `concord-http-${randomBytes(4).toString("hex")}`;
  jobs = createJobsClient({ prefix });
  const env = loadEnv({
    CONCORD_BOARD_TOKEN: TOKEN,
    CONCORD_QUEUE_PREFIX: prefix,
    CONCORD_WORKER_QUEUES: "train-gpu,train",
  });
  server = await listen(createHttpApp({ env, db: t.db, jobs, startedAt: Date.now() }), 0, "127.0.0.1");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  for (const name of ["labels", "train", "train-gpu", "evaluate"] as const)
    await jobs?.queue(name).obliterate({ force: true });
  await jobs?.close();
  await t?.drop();
});

describe("worker http", () => {
  it("/healthz reports Redis and Postgres", async () => {
    const r = await fetch(`${base}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      ok: true,
      redis: true,
      postgres: true,
      queues: ["train-gpu", "train"],
    });
  });

  it("/metrics gives waiting/active/failed counts per queue", async () => {
    await jobs.train({ runId: "m1" });
    const body = (await (await fetch(`${base}/metrics`)).json()) as {
      queues: Record<string, { waiting: number }>;
    };
    expect(body.queues.train).toMatchObject({ waiting: 1, active: 0, failed: 0 });
    expect(Object.keys(body.queues)).toEqual(["labels", "train", "train-gpu", "evaluate"]);
    await jobs.queue("train").remove(trainJobId("m1"));
  });

  it("Bull Board needs the token (Bearer or Basic password)", async () => {
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    expect(
      (await fetch(`${base}/admin/queues`, { headers: { authorization: "Bearer wrong-token" } })).status,
    ).toBe(401);
    const bearer = await fetch(`${base}/admin/queues`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    const page = await bearer.text();
    expect(page).toMatch(/<html/i);
    // The page loads nothing from the internet (Bull Board links Google Fonts; its CSS has system fallbacks).
    expect(page).toContain("static/css/main.");
    expect(page).not.toMatch(/https?:\/\//);
    const basic = Buffer.from(`admin:${TOKEN}`).toString("base64");
    const api = await fetch(`${base}/admin/queues/api/queues`, {
      headers: { authorization: `Basic ${basic}` },
    });
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toMatch(/train-gpu/);
  });

  it("refuses a malformed environment naming the variable", () => {
    expect(() => loadEnv({ CONCORD_WORKER_QUEUES: "train,gpu" })).toThrow(
      /CONCORD_WORKER_QUEUES: unknown queue "gpu"/,
    );
    expect(() => loadEnv({ CONCORD_WORKER_CONCURRENCY: "0" })).toThrow(/CONCORD_WORKER_CONCURRENCY/);
    expect(() => loadEnv({ REDIS_URL: "http://x" })).toThrow(/REDIS_URL/);
  });
});

describe("reconcileRuns", () => {
  it("fails RUNNING runs without a job, cancels cancelled QUEUED ones, re-enqueues lost QUEUED ones", async () => {
    const lost = await createRun(t.db, fx.datasetId, {});
    await t.db.trainingRun.update({ where: { id: lost.id }, data: { status: "RUNNING" } });
    const cancelled = await createRun(t.db, fx.datasetId, {});
    await t.db.trainingRun.update({ where: { id: cancelled.id }, data: { cancelRequested: true } });
    const old = await createRun(t.db, fx.datasetId, { backend: "gpu" });
    await t.db.trainingRun.update({
      where: { id: old.id },
      data: { createdAt: new Date(Date.now() - 120_000) },
    });
    const fresh = await createRun(t.db, fx.datasetId, {});
    const waiting = await createRun(t.db, fx.datasetId, {});
    await t.db.trainingRun.update({ where: { id: waiting.id }, data: { status: "RUNNING" } });
    await jobs.train({ runId: waiting.id });

    const report = await reconcileRuns(t.db, jobs);
    expect(report).toEqual({ failed: [lost.id], cancelled: [cancelled.id], requeued: [old.id] });
    const byId = async (id: string) => t.db.trainingRun.findUniqueOrThrow({ where: { id } });
    expect(await byId(lost.id)).toMatchObject({ status: "FAILED", error: expect.stringMatching(/job lost/) });
    expect((await byId(cancelled.id)).status).toBe("CANCELLED");
    expect((await byId(fresh.id)).status).toBe("QUEUED");
    expect((await byId(waiting.id)).status).toBe("RUNNING");
    expect(await jobs.queue("train-gpu").getJob(trainJobId(old.id))).toBeDefined();
    // A second pass changes nothing.
    expect(await reconcileRuns(t.db, jobs)).toEqual({ failed: [], cancelled: [], requeued: [] });
    await t.db.trainingRun.updateMany({
      where: { status: { in: ["QUEUED", "RUNNING"] } },
      data: { status: "CANCELLED" },
    });
    await jobs.queue("train").obliterate({ force: true });
  });

  it("fails a run whose job failed for good, with the job's reason", async () => {
    const run = await createRun(t.db, fx.datasetId, {});
    await t.db.trainingRun.update({ where: { id: run.id }, data: { status: "RUNNING" } });
    await jobs.train({ runId: run.id });
    const job = (await jobs.queue("train").getJob(trainJobId(run.id)))!;
    // Moving a job to failed needs its lock: take it like a worker would.
    const { Worker } = await import("bullmq");
    const w = new Worker("train", null, {
      connection: jobs.connection.duplicate({ maxRetriesPerRequest: null }),
      prefix: jobs.prefix,
    });
    const token = "tok";
    const taken = await w.getNextJob(token);
    expect(taken?.id).toBe(job.id);
    taken!.opts.attempts = 1;
    await taken!.moveToFailed(new Error("stalled more than allowable limit"), token);
    await w.close();
    const report = await reconcileRuns(t.db, jobs);
    expect(report.failed).toEqual([run.id]);
    expect((await t.db.trainingRun.findUniqueOrThrow({ where: { id: run.id } })).error).toMatch(
      /stalled more than/,
    );
  });

  it("does the same for prediction sets, re-enqueueing a lost one on its run's training queue", async () => {
    const run = await createRun(t.db, fx.datasetId, { backend: "gpu" });
    await t.db.trainingRun.update({ where: { id: run.id }, data: { status: "SUCCEEDED" } });
    const set = (data: { status?: "RUNNING"; cancelRequested?: boolean; createdAt?: Date } = {}) =>
      t.db.predictionSet.create({
        data: { datasetId: fx.datasetId, runId: run.id, scheme: "in-sample", ...data },
      });
    const lost = await set({ status: "RUNNING" });
    const cancelled = await set({ cancelRequested: true });
    const old = await set({ createdAt: new Date(Date.now() - 120_000) });
    const fresh = await set();
    const report = await reconcileRuns(t.db, jobs);
    expect(report).toEqual({ failed: [lost.id], cancelled: [cancelled.id], requeued: [old.id] });
    const byId = (id: string) => t.db.predictionSet.findUniqueOrThrow({ where: { id } });
    expect(await byId(lost.id)).toMatchObject({ status: "FAILED", error: expect.stringMatching(/job lost/) });
    expect((await byId(cancelled.id)).status).toBe("CANCELLED");
    expect((await byId(fresh.id)).status).toBe("QUEUED");
    const job = await jobs.queue("train-gpu").getJob(predictJobId(old.id));
    expect(job?.name).toBe("predict");
    expect(job?.data).toEqual({ setId: old.id });
    expect(await reconcileRuns(t.db, jobs)).toEqual({ failed: [], cancelled: [], requeued: [] });
    await t.db.predictionSet.updateMany({ where: { status: "QUEUED" }, data: { status: "CANCELLED" } });
  });
});

describe("reconcileSnapshotJobs", () => {
  it("fails RUNNING rows without a job, re-enqueues lost QUEUED ones, leaves waiting ones alone", async () => {
    const row = (status: "QUEUED" | "RUNNING", createdAt = new Date()) =>
      t.db.snapshotJob.create({
        data: { datasetId: fx.datasetId, method: "mv", params: { eps: 0 }, status, createdAt },
      });
    const lost = await row("RUNNING");
    const old = await row("QUEUED", new Date(Date.now() - 120_000));
    const fresh = await row("QUEUED");
    const waiting = await row("QUEUED", new Date(Date.now() - 120_000));
    const { jobId } = await jobs.snapshotLabels({
      datasetId: fx.datasetId,
      method: "mv",
      snapshotJobId: waiting.id,
    });
    await t.db.snapshotJob.update({ where: { id: waiting.id }, data: { jobId } });

    const report = await reconcileSnapshotJobs(t.db, jobs);
    expect(report).toEqual({ failed: [lost.id], cancelled: [], requeued: [old.id] });
    const byId = (id: string) => t.db.snapshotJob.findUniqueOrThrow({ where: { id } });
    expect(await byId(lost.id)).toMatchObject({ status: "FAILED", error: expect.stringMatching(/job lost/) });
    expect((await byId(fresh.id)).status).toBe("QUEUED");
    const requeued = await byId(old.id);
    const job = await jobs.queue("labels").getJob(requeued.jobId!);
    expect(job?.data).toMatchObject({ datasetId: fx.datasetId, method: "mv", snapshotJobId: old.id });
    expect(await reconcileSnapshotJobs(t.db, jobs)).toEqual({ failed: [], cancelled: [], requeued: [] });
    await jobs.queue("labels").obliterate({ force: true });
  });
});

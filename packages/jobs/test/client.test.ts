import { randomBytes } from "node:crypto";
import { UnrecoverableError, Worker } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import {
  createJobsClient,
  createRedisConnection,
  predictJobId,
  QueueUnavailableError,
  trainJobId,
} from "../src";

const prefix = `concord-test-${randomBytes(4).toString("hex")}`;
const client = createJobsClient({ prefix });

afterAll(async () => {
  for (const name of ["labels", "train", "train-gpu", "evaluate"] as const)
    await client.queue(name).obliterate({ force: true });
  await client.close();
});

describe("jobs client against the running Redis", () => {
  it("enqueues a typed train job once per run (idempotent job id)", async () => {
    const a = await client.train({ runId: "run1" });
    const b = await client.train({ runId: "run1" });
    expect(a).toEqual({ name: "train", queue: "train", jobId: trainJobId("run1") });
    expect(b.jobId).toBe(a.jobId);
    const counts = await client.counts();
    expect(counts.train.waiting).toBe(1);
    const job = await client.queue("train").getJob(a.jobId);
    expect(job?.opts.attempts).toBe(5);
    expect(job?.opts.removeOnComplete).toEqual({ count: 1000, age: 604800 });
  });

  it("routes to another queue on request", async () => {
    const r = await client.train({ runId: "gpu1" }, { queue: "train-gpu" });
    expect(r.queue).toBe("train-gpu");
    expect((await client.counts())["train-gpu"].waiting).toBe(1);
  });

  it("refuses a bad payload before touching Redis", async () => {
    await expect(
      client.enqueue("snapshot-labels", { datasetId: "d", method: "bogus" as "mv" }),
    ).rejects.toThrow(/method/);
  });

  it("cancel removes a waiting job and broadcasts the run id", async () => {
    const sub = createRedisConnection();
    const got: string[] = [];
    await sub.subscribe(`${prefix}:cancel-run`);
    sub.on("message", (_c, m) => got.push(m));
    await client.train({ runId: "run2" });
    const res = await client.requestCancel("run2");
    expect(res.removedJobIds).toEqual([trainJobId("run2")]);
    expect(res.published).toBe(true);
    expect(await client.queue("train").getJob(trainJobId("run2"))).toBeUndefined();
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(["run2"]);
    sub.disconnect();
  });

  it("enqueues predict on the train queue once per set, cancels it, and replaces a finished job on request", async () => {
    const a = await client.predict({ setId: "set1" });
    expect(a).toEqual({ name: "predict", queue: "train", jobId: predictJobId("set1") });
    expect((await client.predict({ setId: "set1" })).jobId).toBe(a.jobId);
    expect(await client.queue("train").getJobCountByTypes("waiting")).toBeGreaterThanOrEqual(1);
    const res = await client.requestPredictCancel("set1");
    expect(res.removedJobIds).toEqual([predictJobId("set1")]);

    // A finished job keeps its id in Redis: a plain enqueue is then a no-op, replaceFinished runs it again.
    const fin = await client.predict({ setId: "set2" }, { queue: "evaluate" });
    // (On a queue no other test fills.) Finish it by hand, as BullMQ's manual processing does: take it with a token, fail it for good.
    const manual = new Worker("evaluate", null, {
      connection: createRedisConnection(),
      prefix,
      autorun: false,
    });
    const taken = await manual.getNextJob("token-1");
    expect(taken?.id).toBe(fin.jobId);
    await taken!.moveToFailed(new UnrecoverableError("test: failed for good"), "token-1", false);
    await manual.close();
    const state = async () => (await client.queue("evaluate").getJob(fin.jobId))?.getState();
    expect(await state()).toBe("failed");
    await client.predict({ setId: "set2" }, { queue: "evaluate" });
    expect(await state()).toBe("failed");
    await client.predict({ setId: "set2" }, { queue: "evaluate", replaceFinished: true });
    expect(await state()).toBe("waiting");
  });

  it("throws QueueUnavailableError quickly when nothing listens", async () => {
    const dead = createJobsClient({ prefix, redisUrl: "redis://127.0.0.1:1" });
    const t0 = Date.now();
    await expect(dead.train({ runId: "x" })).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - t0).toBeLessThan(2000);
    await dead.close();
  });
});

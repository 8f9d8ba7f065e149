// A worker outlives a Redis outage: while its own redis-server (never the shared one) is down, /healthz says
// so and enqueue fails fast; when Redis returns, the worker reconnects and runs what is enqueued then.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TTestDatabase } from "@concord/db/testing";
import { createJobsClient, QueueUnavailableError, type TJobsClient } from "@concord/jobs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type TFixture } from "./fixtures";
import { spawnWorker, type TWorkerProc, waitFor } from "./harness";

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;
const port = 6390 + Math.floor(Math.random() * 200);
const dir = mkdtempSync(join(tmpdir(), "concord-wredis-"));
let redis: ChildProcess | undefined;
let t: TTestDatabase;
let fx: TFixture;
let jobs: TJobsClient;
let worker: TWorkerProc | undefined;

async function startRedis() {
  redis = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""],
    {
      stdio: "ignore",
    },
  );
  await waitFor(
    "redis up",
    async () =>
      spawnSync("redis-cli", ["-p", String(port), "ping"])
        .stdout?.toString()
        .includes("PONG"),
    10_000,
  );
}

async function stopRedis() {
  const r = redis;
  if (!r || r.exitCode !== null) return;
  const exited = new Promise((res) => r.once("exit", res));
  spawnSync("redis-cli", ["-p", String(port), "shutdown"]);
  await exited;
}

async function jobState(queue: "labels", id: string) {
  return (await (await jobs.queue(queue).getJob(id))?.getState()) ?? "missing";
}

if (!hasRedisServer) console.warn("redis-outage: skipped, no redis-server binary on PATH");

describe.skipIf(!hasRedisServer)("worker across a Redis outage", () => {
  beforeAll(async () => {
    await startRedis();
    t = await createTestDatabase("concord_worker_outage");
    fx = await createFixture(t.db, { TRAIN: 8, VALID: 4, TEST: 0 });
    jobs = createJobsClient({ prefix: "outage", redisUrl: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    if (worker && worker.proc.exitCode === null) worker.proc.kill("SIGKILL");
    await jobs?.close();
    await stopRedis();
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the outage, refuses enqueues fast, and resumes work when Redis is back", async () => {
    worker = spawnWorker({
      DATABASE_URL: t.url,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      CONCORD_QUEUE_PREFIX: "outage",
      CONCORD_WORKER_QUEUES: "labels",
    });
    const portLine = await waitFor(
      "worker http",
      async () => worker!.logs.find((l) => /http on port \d+/.test(l)),
      60_000,
    );
    const base = `http://127.0.0.1:${/http on port (\d+)/.exec(portLine)![1]}`;
    const a = await jobs.snapshotLabels({ datasetId: fx.datasetId, method: "mv", params: {} });
    await waitFor("job A done", async () => (await jobState("labels", a.jobId)) === "completed", 60_000);

    await stopRedis();
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false, redis: false, postgres: true });
    const t0 = Date.now();
    await expect(
      jobs.snapshotLabels({ datasetId: fx.datasetId, method: "ds", params: {} }),
    ).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(worker.proc.exitCode).toBeNull(); // the worker keeps running through the outage

    await startRedis();
    const b = await waitFor("enqueue after Redis returns", () =>
      jobs.snapshotLabels({ datasetId: fx.datasetId, method: "ds", params: {} }).catch(() => null),
    );
    await waitFor("job B done", async () => (await jobState("labels", b.jobId)) === "completed", 60_000);
    expect(await jobState("labels", a.jobId)).toBe("completed"); // job A's record survived the restart (AOF)
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await t.db.labelSnapshot.count({ where: { datasetId: fx.datasetId } })).toBe(2);
  });
});

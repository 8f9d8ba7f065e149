// Redis stopped -> enqueue fails fast with QueueUnavailableError; Redis back -> enqueue works and the job
// enqueued before the outage is still there. Uses its OWN redis-server (never the shared one on 6379).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobsClient, QueueUnavailableError, trainJobId } from "../src";

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;
const port = 6390 + Math.floor(Math.random() * 200);
const dir = mkdtempSync(join(tmpdir(), "concord-redis-"));
let server: ChildProcess | undefined;

async function startRedis(): Promise<void> {
  // AOF on, so a clean restart keeps the queue like a production Redis with persistence would.
  server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    if (
      spawnSync("redis-cli", ["-p", String(port), "ping"])
        .stdout?.toString()
        .includes("PONG")
    )
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on ${port} did not start`);
}

async function stopRedis(): Promise<void> {
  const s = server;
  if (!s || s.exitCode !== null) return;
  const exited = new Promise((r) => s.once("exit", r));
  spawnSync("redis-cli", ["-p", String(port), "shutdown"]);
  await exited;
}

if (!hasRedisServer) console.warn("redis-outage: skipped, no redis-server binary on PATH");

describe.skipIf(!hasRedisServer)("Redis outage", () => {
  beforeAll(startRedis);
  afterAll(async () => {
    await stopRedis();
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails fast while Redis is down and loses nothing", async () => {
    const client = createJobsClient({ prefix: "outage", redisUrl: `redis://127.0.0.1:${port}` });
    await client.train({ runId: "before" });

    await stopRedis();
    const t0 = Date.now();
    const error = await client.train({ runId: "during" }).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as Error).message).toMatch(/unavailable/);
    expect(elapsed).toBeLessThan(2000);
    expect(await client.isAvailable()).toBe(false);

    await startRedis();
    let retried: Awaited<ReturnType<typeof client.train>> | undefined;
    for (let i = 0; i < 40 && !retried; i++) {
      retried = await client.train({ runId: "during" }).catch(() => undefined);
      if (!retried) await new Promise((r) => setTimeout(r, 250));
    }
    expect(retried?.jobId).toBe(trainJobId("during"));
    const ids = (await client.queue("train").getWaiting()).map((j) => j.id).sort();
    expect(ids).toEqual([trainJobId("before"), trainJobId("during")]);
    await client.close();
  });
});

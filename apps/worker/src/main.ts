// Worker process: BullMQ workers (sandboxed), health/metrics/board HTTP, run reconciler, graceful shutdown.
import type { AddressInfo } from "node:net";
import { getDb } from "@concord/db";
import { createJobsClient } from "@concord/jobs";
import { codeVersion } from "./code-version";
import { loadEnv } from "./env";
import { createHttpApp, listen } from "./http";
import { reconcileRuns, reconcileSnapshotJobs } from "./reconcile";
import { drainChannel } from "./run-control";
import { startWorkers } from "./workers";

const log = (line: string) => console.log(`[worker ${process.pid}] ${line}`);

async function main() {
  const env = loadEnv();
  const db = getDb();
  const jobs = createJobsClient({ redisUrl: env.REDIS_URL, prefix: env.CONCORD_QUEUE_PREFIX });
  const startedAt = Date.now();
  const workers = startWorkers(env, log);
  const server = await listen(
    createHttpApp({ env, db, jobs, startedAt }),
    env.CONCORD_WORKER_PORT,
    env.CONCORD_WORKER_HOST,
  );
  const port = (server.address() as AddressInfo).port;
  log(`code version ${codeVersion(env.CONCORD_CODE_VERSION)}`);
  log(
    `consuming ${env.CONCORD_WORKER_QUEUES.join(", ")} (concurrency ${env.CONCORD_WORKER_CONCURRENCY}, backend ${env.CONCORD_TF_BACKEND}, prefix ${env.CONCORD_QUEUE_PREFIX}); http on port ${port}`,
  );

  let reconciling = false;
  const reconcile = async () => {
    if (reconciling) return;
    reconciling = true;
    try {
      const r = await reconcileRuns(db, jobs);
      if (r.failed.length + r.cancelled.length + r.requeued.length > 0)
        log(`reconciled runs: ${JSON.stringify(r)}`);
      const s = await reconcileSnapshotJobs(db, jobs);
      if (s.failed.length + s.requeued.length > 0) log(`reconciled snapshot jobs: ${JSON.stringify(s)}`);
    } catch (error) {
      log(`reconcile skipped: ${(error as Error).message.trim().split("\n").pop()}`);
    } finally {
      reconciling = false;
    }
  };
  const timer = setInterval(reconcile, env.CONCORD_RECONCILE_MS);
  void reconcile();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: draining (current epochs finish or stop at their checkpoint), then closing`);
    clearInterval(timer);
    // Sandboxed children listen for their parent's pid on this channel (SIGTERM to the process group works too).
    await jobs.connection.publish(drainChannel(env.CONCORD_QUEUE_PREFIX), String(process.pid)).catch(() => 0);
    const hardStop = setTimeout(() => {
      log("shutdown took too long; exiting (the job is retried from its last checkpoint)");
      process.exit(1);
    }, env.CONCORD_SHUTDOWN_GRACE_MS + 30_000);
    hardStop.unref();
    await Promise.allSettled(workers.map((w) => w.close()));
    server.close();
    await jobs.close();
    await db.$disconnect();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(`[worker] ${(error as Error).message}`);
  process.exit(1);
});
